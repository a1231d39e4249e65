"""Mainland mobile numbers, stored as E.164 ("+8613800138000") because that is what twilio sends to."""

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

E164_MAINLAND_MOBILE_REGEX = r"^\+861[3-9][0-9]{9}$"


def normalize_mainland_mobile(raw: str) -> str:
    """Accept what people type (spaces, dashes, +86, 0086, full-width digits) and return E.164."""
    text = (raw or "").strip()
    text = text.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(_("Please enter an 11-digit mainland mobile number."), code="phone_invalid") from exc
    number_type = phonenumbers.number_type(parsed)
    if (
        parsed.country_code != 86
        or not phonenumbers.is_valid_number(parsed)
        or number_type not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        raise ValidationError(_("Please enter an 11-digit mainland mobile number."), code="phone_invalid")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str | None) -> str:
    """138****8000: enough for a person to recognise their own number."""
    if not e164:
        return ""
    national = e164[3:] if e164.startswith("+86") else e164
    return national[:3] + "****" + national[-4:]
