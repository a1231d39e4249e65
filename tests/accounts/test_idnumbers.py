import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from accounts.idnumbers import check_digit, mask_id_number, parse_resident_id, upgrade_15_to_18

bodies = st.builds(
    lambda area, born, seq: f"{area}{born:%Y%m%d}{seq:03d}",
    st.integers(110000, 659999).map(str),
    st.dates(datetime.date(1900, 1, 1), datetime.date(2020, 12, 31)),
    st.integers(0, 999),
)


@given(bodies)
def test_a_number_with_its_computed_check_digit_is_valid(body):
    assert parse_resident_id(body + check_digit(body)).number == body + check_digit(body)


@given(bodies, st.integers(0, 16), st.integers(1, 9))
def test_changing_any_single_digit_is_detected(body, position, delta):
    number = body + check_digit(body)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    with pytest.raises(ValidationError):
        parse_resident_id(changed)


@given(
    st.integers(110000, 659999), st.dates(datetime.date(1900, 1, 1), datetime.date(1999, 12, 31)), st.integers(0, 999)
)
def test_15_digit_numbers_upgrade_to_the_18_digit_form(area, born, seq):
    legacy = f"{area}{born:%y%m%d}{seq:03d}"
    upgraded = parse_resident_id(legacy)
    assert upgraded.number == upgrade_15_to_18(legacy)
    assert upgraded.number[6:14] == f"{born:%Y%m%d}"
    assert upgraded.birth_date == born


# Independent vectors: python-stdnum tests/test_cn_ric.doctest, django-localflavor cn tests,
# jxlwqq/id-validator test_validator.py (see shared/research B.15).
@pytest.mark.parametrize(
    "number",
    [
        "360426199101010071",  # stdnum
        "44011320141005001X",  # stdnum
        "11010119491001001X",  # localflavor
        "11010119491001001x",  # localflavor, lowercase x
        "110101491001001",  # localflavor, 15 digits
        "440308199901101512",  # id-validator
        "500154199804106120",  # id-validator
        "810000199408230021",  # id-validator, Hong Kong resident permit
        "830000199201300022",  # id-validator, Taiwan
        "610104620927690",  # id-validator, 15 digits
        "990426199112010074",  # stdnum "unknown area": valid checksum, we accept historic/unknown areas
        "500154199301135886",  # id-validator rejects the area for 1993; the checksum is valid
    ],
)
def test_published_valid_numbers_are_accepted(number):
    assert len(parse_resident_id(number).number) == 18


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("36042619910102009X", "id_checksum"),  # stdnum
        ("910101194910010014", "id_checksum"),  # localflavor
        ("440308199901101513", "id_checksum"),  # id-validator
        ("360426199113010079", "id_birth_date"),  # stdnum: month 13
        ("91010119491301001X", "id_birth_date"),  # localflavor: month 13
        ("110101491041001", "id_birth_date"),  # localflavor: 15 digits, month 10 day 41
        ("1101011949100100", "id_format"),
        ("11010119491001001Y", "id_format"),
        ("", "id_format"),
    ],
)
def test_published_invalid_numbers_are_rejected_for_the_right_reason(number, code):
    with pytest.raises(ValidationError) as excinfo:
        parse_resident_id(number)
    assert excinfo.value.code == code


def test_birth_date_and_sex_are_derived():
    parsed = parse_resident_id("11010119491001001X")
    assert parsed.birth_date == datetime.date(1949, 10, 1)
    assert parsed.sex == "M"  # 17th digit 1 is odd


def test_a_birth_date_in_the_future_is_rejected():
    body = "11010120300101001"
    with pytest.raises(ValidationError) as excinfo:
        parse_resident_id(body + check_digit(body), today=datetime.date(2026, 11, 23))
    assert excinfo.value.code == "id_birth_date"


def test_masking_hides_the_birth_date():
    assert mask_id_number("11010119491001001X") == "110***********001X"
