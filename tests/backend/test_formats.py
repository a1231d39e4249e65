import datetime

from backend.formats import plain_date


def test_dates_read_without_zero_padding_or_dashes():
    assert plain_date(datetime.date(2027, 3, 9)) == "2027年3月9日"


def test_no_date_is_an_empty_string():
    assert plain_date(None) == ""
