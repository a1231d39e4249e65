"""Mainland mobile numbers, stored as E.164 ("+8613800138000") because that is what twilio sends to."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from backend.lookups import mainland_mobile_e164

E164_MAINLAND_MOBILE_REGEX = r"^\+861[3-9][0-9]{9}$"


def normalize_mainland_mobile(raw: str) -> str:
    """Accept what people type (spaces, dashes, +86, 0086, full-width digits) and return E.164."""
    e164 = mainland_mobile_e164(raw)
    if e164 is None:
        raise ValidationError(_("Please enter an 11-digit mainland mobile number."), code="phone_invalid")
    return e164


def mask_phone(e164: str | None) -> str:
    """138****8000: enough for a person to recognise their own number."""
    if not e164:
        return ""
    national = e164[3:] if e164.startswith("+86") else e164
    return national[:3] + "****" + national[-4:]
