"""Opt-out preferences and messages people send us: keywords handled here, the rest offered to
the handlers the apps above registered (``notifications.registry``)."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone

from notifications import registry, texts
from notifications.models import SmsInbound, SmsRecipientPreference
from notifications.services.outbox import _enqueue, sms_recipient_opt_in, sms_recipient_opt_out, sms_send
from notifications.sms import SmsKind

logger = logging.getLogger(__name__)


# --- Preferences and inbound messages ----------------------------------------------------------


def _keyword(text: str) -> str:
    """Full-width and case folded, spaces and trailing punctuation dropped: ＴＤ。 → TD."""
    folded = unicodedata.normalize("NFKC", text or "").strip().upper()
    return re.sub(r"[\s\.\!。！，,]+", "", folded)


def _keywords(setting: Iterable[str]) -> set[str]:
    return {_keyword(word) for word in setting}


def sms_inbound_receive(
    *, provider_message_id: str, from_phone: str, to_phone: str, text: str, opt_out_type: str = ""
) -> SmsInbound:
    """Store a message someone sent us (once per provider id) and act on it.

    退订 / TD / STOP (or twilio's ``OptOutType=STOP``) opt the number out of reminders; DY /
    START opt back in; both are acknowledged by SMS. Anything else goes to the chatbot.
    """
    SmsInbound.objects.bulk_create(
        [
            SmsInbound(
                provider_message_id=provider_message_id,
                from_phone=from_phone,
                to_phone=to_phone,
                text=text[:1600],
                opt_out_type=(opt_out_type or "").upper()[:10],
            )
        ],
        ignore_conflicts=True,
    )
    inbound = SmsInbound.objects.get(provider_message_id=provider_message_id)
    if inbound.action != SmsInbound.Action.PENDING:
        return inbound  # a retried webhook
    word = _keyword(inbound.text)
    if inbound.opt_out_type == "STOP" or word in _keywords(settings.SMS_OPT_OUT_KEYWORDS):
        _inbound_keyword(inbound, SmsInbound.Action.OPT_OUT)
    elif inbound.opt_out_type == "START" or word in _keywords(settings.SMS_OPT_IN_KEYWORDS):
        _inbound_keyword(inbound, SmsInbound.Action.OPT_IN)
    else:
        _enqueue("notifications.tasks.sms_inbound_process", inbound.pk)
    inbound.refresh_from_db()
    return inbound


def _inbound_keyword(inbound: SmsInbound, action: str) -> None:
    claimed = SmsInbound.objects.filter(pk=inbound.pk, action=SmsInbound.Action.PENDING).update(
        action=action, processed_at=timezone.now()
    )
    if not claimed:
        return
    from_provider = bool(inbound.opt_out_type)
    source = SmsRecipientPreference.Source.OPT_OUT_TYPE if from_provider else SmsRecipientPreference.Source.KEYWORD
    if action == SmsInbound.Action.OPT_OUT:
        sms_recipient_opt_out(phone=inbound.from_phone, source=source)
        template = texts.OPT_OUT_ACK
    else:
        sms_recipient_opt_in(phone=inbound.from_phone, source=source)
        template = texts.OPT_IN_ACK
    if from_provider:
        return  # twilio's Advanced Opt-Out already answered the person
    sms_send(
        to=inbound.from_phone,
        text=texts.render(template),
        reason=f"inbound-ack:{inbound.pk}",
        kind=SmsKind.REPLY,
        template=template,
    )


def sms_inbound_process(*, inbound_id: int) -> str:
    """Offer free text to the registered handlers (the chatbot), at most once: the claim is
    taken before the call."""
    handlers = registry.inbound_handlers()
    action = SmsInbound.Action.CHATBOT if handlers else SmsInbound.Action.IGNORED
    claimed = SmsInbound.objects.filter(pk=inbound_id, action=SmsInbound.Action.PENDING).update(
        action=action, processed_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    if not handlers:
        logger.info("Inbound SMS %s ignored: no handler registered", inbound_id)
        return action
    registry.handle_inbound(SmsInbound.objects.get(pk=inbound_id))
    return action
