"""Writes for the chatbot: take a message (app or SMS), store it masked, reply, hand off to staff."""

from __future__ import annotations

import datetime
import logging
import uuid

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.lookups import phone_index
from accounts.models import Pensioner, Region, User
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from casework.services import death_report_submit
from chatbot.commands import (
    AuditStatusRead,
    CallbackRequested,
    Command,
    DeathReportRefused,
    DeathReportSubmitted,
    Effect,
    Outcome,
    RequestCallback,
    SubmitDeathReport,
)
from chatbot.dialogue import Dialogue, Turn
from chatbot.models import CallbackRequest, Channel, Conversation, Message
from chatbot.nlu.normalize import MAX_INPUT_CHARS, mask_sensitive, normalize
from chatbot.replies import Reply
from chatbot.selectors import Audience, audience_for_phone, audience_for_user
from notifications.models import SmsInbound
from notifications.services import sms_send
from notifications.sms import SmsKind

logger = logging.getLogger(__name__)

MAX_BUTTONS = 4


def _conversation_for(*, channel: str, user: User | None, phone: str) -> Conversation:
    """The person's current conversation, locked for this message; a new one after a pause."""
    queryset = Conversation.objects.select_for_update().filter(channel=channel)
    queryset = queryset.filter(phone_bidx=phone_index(phone)) if channel == Channel.SMS else queryset.filter(user=user)
    current = queryset.order_by("-updated_at", "-id").first()
    idle = datetime.timedelta(minutes=settings.CHATBOT_CONVERSATION_IDLE_MINUTES)
    if current is not None and timezone.now() - current.updated_at <= idle:
        return current
    return Conversation.objects.create(channel=channel, user=user, phone=phone)


def _store_text(text: str) -> str:
    """What is written to the database: cleaned, ID and card numbers masked."""
    return normalize(text).clean[:MAX_INPUT_CHARS] if text else ""


def _process(
    *,
    audience: Audience,
    text: str,
    payload: str = "",
    client_request_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[Message, bool]:
    """Store the message, run the dialogue, store the reply. ``(reply, created)``; a retried
    request id returns the first reply and does nothing again."""
    with transaction.atomic():
        conversation = _conversation_for(channel=audience.channel, user=audience.user, phone=audience.phone)
        if client_request_id is not None:
            earlier = (
                Message.objects.filter(
                    conversation__user=audience.user,
                    conversation__channel=audience.channel,
                    client_request_id=client_request_id,
                    direction=Message.Direction.IN,
                )
                .select_related("reply")
                .first()
            )
            if earlier is not None and hasattr(earlier, "reply"):
                return earlier.reply, False
        inbound = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.IN,
            text=_store_text(text),
            payload=payload[:60],
            client_request_id=client_request_id,
        )
        dialogue = Dialogue(audience=audience, conversation=conversation)
        try:
            with transaction.atomic():
                turn = dialogue.handle(text=text, payload=payload)
                _carry_out(turn, dialogue=dialogue, audience=audience, conversation=conversation, request=request)
        except Exception:  # a bug must not lose the message or show a 500 to an old person
            logger.exception("chatbot dialogue failed (conversation %s)", conversation.pk)
            conversation.state = "idle"
            conversation.slots = {}
            turn = Turn(
                Reply(
                    _("Sorry, something went wrong on our side. Please try again, or call %(hotline)s.")
                    % {"hotline": settings.SERVICE_HOTLINE}
                )
            )
        reply = turn.reply or Reply("")
        inbound.intent = turn.intent
        inbound.confidence = turn.confidence
        inbound.source = turn.source
        inbound.state = conversation.state
        inbound.save(update_fields=["intent", "confidence", "source", "state"])
        outbound = Message.objects.create(
            conversation=conversation,
            direction=Message.Direction.OUT,
            text=mask_sensitive(reply.text),
            buttons=[button.as_dict() for button in reply.buttons[:MAX_BUTTONS]],
            action=reply.action,
            state=conversation.state,
            reply_to=inbound,
        )
        conversation.updated_at = timezone.now()
        conversation.save()
        logger.info(
            "chatbot %s conversation=%s intent=%s confidence=%s source=%s state=%s",
            audience.channel,
            conversation.pk,
            turn.intent,
            turn.confidence,
            turn.source,
            conversation.state,
        )
    return outbound, True


def _carry_out(
    turn: Turn,
    *,
    dialogue: Dialogue,
    audience: Audience,
    conversation: Conversation,
    request: HttpRequest | None,
) -> None:
    """Do the writes the dialogue asked for; the command's outcome decides the turn's reply."""
    for effect in turn.effects:
        _apply(effect, audience=audience, request=request)
    if turn.command is not None:
        outcome = _execute(turn.command, audience=audience, conversation=conversation, request=request)
        turn.reply = dialogue.resume(turn.command, outcome)


def _apply(effect: Effect, *, audience: Audience, request: HttpRequest | None) -> None:
    if isinstance(effect, AuditStatusRead) and audience.user is not None:
        audit_record(actor=audience.user, action="chatbot.status.read", target=effect.pensioner, request=request)


def _execute(
    command: Command, *, audience: Audience, conversation: Conversation, request: HttpRequest | None
) -> Outcome:
    if isinstance(command, SubmitDeathReport):
        return _death_report_submit(command, audience=audience, request=request)
    if isinstance(command, RequestCallback):
        callback = callback_request_create(
            conversation=conversation,
            user=audience.user,
            phone=command.phone,
            pensioner=command.pensioner,
            region=command.region,
            topic=command.topic,
        )
        return CallbackRequested(callback_id=callback.pk)
    raise TypeError(f"unknown chatbot command {type(command).__name__}")


def _death_report_submit(
    command: SubmitDeathReport, *, audience: Audience, request: HttpRequest | None
) -> DeathReportSubmitted | DeathReportRefused:
    """The API's own service, so a report from the chat is the same as one from the app's form."""
    if audience.user is None:  # the flow offers no confirmation without an account
        return DeathReportRefused(code="not_authenticated", message=_("Please log in first."))
    try:
        with transaction.atomic():
            report, _created = death_report_submit(
                reporter=audience.user,
                pensioner_id=command.pensioner_id,
                date_of_death=command.date_of_death,
                place=command.place,
                client_request_id=command.client_request_id,
                note=_("Reported through the chatbot."),
                request=request,
            )
    except ApplicationError as exc:
        return DeathReportRefused(code=exc.code, message=str(exc.message))
    return DeathReportSubmitted(case_id=report.case_id)


def chatbot_message_handle(
    *,
    user: User,
    text: str,
    payload: str = "",
    client_request_id: uuid.UUID | None = None,
    request: HttpRequest | None = None,
) -> tuple[Message, bool]:
    """A message typed (or a button tapped) in the app by a logged-in user."""
    return _process(
        audience=audience_for_user(user=user),
        text=text,
        payload=payload,
        client_request_id=client_request_id,
        request=request,
    )


def _sms_button_payload(*, phone: str, text: str) -> str:
    """SMS has no buttons: the reply lists them as numbers, and "1" means the first one."""
    digit = text.strip()
    if not (digit.isdigit() and len(digit) == 1):
        return ""
    last = (
        Message.objects.filter(
            conversation__channel=Channel.SMS,
            conversation__phone_bidx=phone_index(phone),
            direction=Message.Direction.OUT,
        )
        .order_by("-created_at", "-id")
        .first()
    )
    if last is None or not last.buttons:
        return ""
    index = int(digit) - 1
    if 0 <= index < len(last.buttons):
        return str(last.buttons[index].get("payload", ""))
    return ""


def sms_reply_text(message: Message) -> str:
    """The reply as one SMS: the text, then the buttons as numbered choices."""
    choices = [
        _("reply %(number)d: %(label)s") % {"number": i, "label": button["label"]}
        for i, button in enumerate(message.buttons, start=1)
    ]
    if not choices:
        return message.text
    return f"{message.text}（{'；'.join(choices)}）"


def chatbot_sms_receive(*, phone: str, text: str) -> None:
    """An SMS that is not a keyword, from the signature-validated inbound webhook: answer by SMS.

    The sender's number is the identity: personal data only about pensioners registered with that
    number (or linked to the account that has it). Unknown numbers get general answers only.
    """
    text = (text or "")[:MAX_INPUT_CHARS]
    payload = _sms_button_payload(phone=phone, text=text)
    audience = audience_for_phone(phone=phone)
    with transaction.atomic():
        outbound, _created = _process(audience=audience, text=text, payload=payload)
        sms_send(
            to=phone,
            text=sms_reply_text(outbound),
            reason=f"chatbot-reply:{outbound.pk}",
            kind=SmsKind.REPLY,
            template="chatbot_reply",
        )


def sms_inbound_handle(*, inbound: SmsInbound) -> bool:
    """The chatbot's inbound-SMS handler (registered with ``notifications.registry`` by
    ``ChatbotConfig.ready``): every free text that is not a keyword is a question for the chatbot,
    so it always handles the message."""
    chatbot_sms_receive(phone=inbound.from_phone, text=inbound.text)
    return True


def callback_request_create(
    *,
    conversation: Conversation | None,
    user: User | None,
    phone: str,
    pensioner: Pensioner | None,
    region: Region | None,
    topic: str = "",
) -> CallbackRequest:
    """Record that a person wants a call from staff, with what they last wrote (masked)."""
    summary = ""
    if conversation is not None:
        recent = (
            Message.objects.filter(conversation=conversation, direction=Message.Direction.IN)
            .exclude(text="")
            .order_by("-created_at", "-id")
            .values_list("text", flat=True)[:5]
        )
        summary = "\n".join(reversed(list(recent)))[:2000]
    callback = CallbackRequest.objects.create(
        conversation=conversation,
        user=user,
        phone=phone,
        pensioner=pensioner,
        region=region,
        topic=topic[:20],
        summary=mask_sensitive(summary),
    )
    if user is not None:
        audit_record(
            actor=user,
            action="chatbot.callback.request",
            target=callback,
            pensioner_id=pensioner.pk if pensioner else None,
        )
    return callback


def callback_request_close(*, callback: CallbackRequest, actor: User, note: str = "") -> CallbackRequest:
    """Staff called the person back. Idempotent: closing a closed request changes nothing."""
    with transaction.atomic():
        callback = CallbackRequest.objects.select_for_update().get(pk=callback.pk)
        if callback.status == CallbackRequest.Status.DONE:
            return callback
        callback.status = CallbackRequest.Status.DONE
        callback.handled_by = actor
        callback.handled_at = timezone.now()
        callback.note = note.strip()[:1000]
        callback.save(update_fields=["status", "handled_by", "handled_at", "note"])
        audit_record(actor=actor, action="chatbot.callback.close", target=callback, pensioner_id=callback.pensioner_id)
    return callback
