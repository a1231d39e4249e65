"""Blind-index tokens usable by every layer (notifications holds phones too but sits below accounts).

``phone_index`` is the token of a phone in its stored E.164 form; every ``*_bidx`` column indexing a phone
(users, pensioners, login codes, the SMS outbox and opt-out list, inbound SMS, chatbot conversations and
callback requests) uses this domain, so the same number has the same token everywhere.
"""

from __future__ import annotations

import phonenumbers

from backend import crypto

PHONE = "phone"


def phone_index(phone: str) -> str:
    """Token of a phone in its stored E.164 form (normalise what people type first)."""
    return crypto.blind_index(phone.strip(), domain=PHONE)


def mainland_mobile_e164(raw: str) -> str | None:
    """What people type (spaces, dashes, +86, 0086, full-width digits) as E.164, or None if it is not a
    mainland mobile number (``accounts.phones.normalize_mainland_mobile`` raises the user-facing error)."""
    text = (raw or "").strip()
    text = text.translate({ord(c): ord("0") + i for i, c in enumerate("０１２３４５６７８９")})
    try:
        parsed = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    number_type = phonenumbers.number_type(parsed)
    if (
        parsed.country_code != 86
        or not phonenumbers.is_valid_number(parsed)
        or number_type not in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    ):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def phone_search_index(term: str) -> str | None:
    """Token of a phone as staff type it in a search box, or None if the term is not a mobile number."""
    e164 = mainland_mobile_e164(term)
    return None if e164 is None else phone_index(e164)
