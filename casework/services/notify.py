"""The one way casework queues an SMS: never undoes the change it is about."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import transaction

from accounts.models import Pensioner
from accounts.selectors import relative_phones
from notifications.services import sms_send
from notifications.texts import mask_name

logger = logging.getLogger(__name__)


def _sms(*, to: str | None, text: str, reason: str, pensioner_id: int | None = None) -> None:
    """Queue through the one SMS interface (outbox row in this transaction, unique per reason).

    A failure to queue never undoes the recorded change it is about.
    """
    if not to:
        return
    try:
        with transaction.atomic():
            sms_send(to=to, text=settings.SMS_SIGNATURE + text, reason=reason, pensioner_id=pensioner_id)
    except Exception:  # the report is stored; the SMS layer records and retries its own failures
        logger.exception("SMS for %s could not be queued", reason)


def _person_sms(*, pensioner_id: int, reason: str, own: str, relative: Callable[[str], str]) -> None:
    """Tell the person (``own``, in the second person); without a phone, their approved relatives
    (``relative(masked name)``). One SMS per reason and phone."""
    person = Pensioner.objects.filter(pk=pensioner_id).values_list("phone", "name").first()
    if person is None:
        return
    phone, name = person
    if phone:
        _sms(to=phone, text=own, reason=reason, pensioner_id=pensioner_id)
        return
    text = relative(mask_name(name))
    for user_id, relative_phone in relative_phones(pensioner_ids=[pensioner_id]).get(pensioner_id, ()):
        _sms(to=relative_phone, text=text, reason=f"{reason}:u{user_id}", pensioner_id=pensioner_id)
