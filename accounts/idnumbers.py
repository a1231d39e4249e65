"""Chinese resident ID numbers (公民身份号码, GB 11643-1999).

The check digit is ISO 7064 MOD 11-2. We compute it ourselves (it is ten lines) and do not use
python-stdnum's ``validate``: its bundled area-code table rejects valid historic and re-issued
codes, and a pensioner must never be refused because a county was renamed in 1983.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: GB 11643 (ISO 7064 MOD 11-2): weights of the 17 body digits and the check character of each sum mod 11
#: (also used by the silent ingestion's Python and SQL checks).
CHECK_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Earliest plausible birth year for a living benefit recipient; anything earlier is a typo.
_MIN_BIRTH_YEAR = 1890


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: datetime.date
    sex: str  # "M" or "F"

    @property
    def area_code(self) -> str:
        return self.number[:6]


def check_digit(body17: str) -> str:
    """The 18th character for a 17-digit body."""
    total = sum(int(digit) * weight for digit, weight in zip(body17, CHECK_WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15_to_18(number15: str) -> str:
    """Legacy 15-digit numbers have a 2-digit year (all 19xx) and no check digit."""
    body = number15[:6] + "19" + number15[6:]
    return body + check_digit(body)


def _birth_date(number18: str) -> datetime.date | None:
    try:
        born = datetime.date(int(number18[6:10]), int(number18[10:12]), int(number18[12:14]))
    except ValueError:
        return None
    return born


def parse_resident_id(raw: str, *, today: datetime.date | None = None) -> ResidentId:
    """Normalise (strip, upper-case x, upgrade 15→18) and validate; raise ValidationError with a code."""
    number = (raw or "").strip().replace(" ", "").upper()
    if len(number) == 15 and number.isdigit():
        if _birth_date(number[:6] + "19" + number[6:]) is None:
            raise ValidationError(_("The birth date inside the ID number is not a real date."), code="id_birth_date")
        number = upgrade_15_to_18(number)
    if len(number) != 18 or not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("An ID number has 18 characters: 17 digits and a final digit or X."), code="id_format")
    if number[:2] == "00" or number[0] == "0":
        raise ValidationError(_("The ID number does not start with a valid area code."), code="id_area")
    born = _birth_date(number)
    today = today or datetime.date.today()  # noqa: DTZ011 - a calendar date is what the ID encodes
    if born is None or born > today or born.year < _MIN_BIRTH_YEAR:
        raise ValidationError(_("The birth date inside the ID number is not a real date."), code="id_birth_date")
    if check_digit(number[:17]) != number[17]:
        raise ValidationError(
            _("The ID number's last character does not match. Please check every digit."), code="id_checksum"
        )
    sex = "M" if int(number[16]) % 2 == 1 else "F"
    return ResidentId(number=number, birth_date=born, sex=sex)


def mask_id_number(number: str) -> str:
    """Shown to anyone but staff: area and last four stay, the birth date is hidden."""
    if len(number) < 10:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
