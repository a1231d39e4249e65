"""The one way casework queues an SMS: never undoes the change it is about."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction

from notifications.services import sms_send

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
