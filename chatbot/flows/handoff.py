"""Asking for a member of staff to call back: confirm (or ask for) the number, then request it.

The request itself is a :class:`~chatbot.commands.RequestCallback` carried out by
``chatbot.services``; a second request from the same number within a day is not repeated.
"""

from __future__ import annotations

import datetime
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, Region
from accounts.phones import mask_phone, normalize_mainland_mobile
from chatbot.commands import CallbackRequested, RequestCallback
from chatbot.flows import fallback
from chatbot.flows.context import Context, State, confident, yes_no
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.payloads import Payload
from chatbot.replies import Button, Reply, call_action, cancel_button, hotline, intent_button
from chatbot.selectors import open_callback_request, service_office_for

STATES = frozenset({State.HANDOFF_CONFIRM, State.HANDOFF_PHONE})
_PHONE_RE = re.compile(r"\+?[0-9][0-9 -]{9,16}[0-9]")


def start(ctx: Context, prediction: Prediction | None) -> Reply:
    """Offer a call back on the number we know, or ask which number to call."""
    phone = ctx.audience.phone
    if not phone:
        ctx.set(State.HANDOFF_PHONE)
        return Reply(
            _("Which mobile number should staff call? Or call %(hotline)s yourself.") % {"hotline": hotline()},
            [cancel_button()],
            call_action(),
        )
    ctx.set(State.HANDOFF_CONFIRM)
    return Reply(
        _("Shall a member of staff call you back on %(phone)s? You can also call %(hotline)s.")
        % {"phone": mask_phone(phone), "hotline": hotline()},
        [Button(_("Yes, please call me"), Payload.handoff()), cancel_button()],
        call_action(),
    )


def _person_and_region(ctx: Context) -> tuple[Pensioner | None, Region | None]:
    """Whom the call is about and which office should make it."""
    person = ctx.audience.person(ctx.slots.get("pensioner_id"))
    if person is None and ctx.audience.own:
        person = ctx.audience.own[0]
    if person is None and len(ctx.audience.people) == 1:
        person = ctx.audience.people[0]
    region = person.region if person is not None else getattr(ctx.audience.user, "region", None)
    return person, region


def office_line(region: Region | None) -> str:
    """ "Your office: name address phone." with only the parts the office published."""
    office = service_office_for(region=region)
    if office is None:
        return ""
    # The replies are Chinese: a Chinese comma keeps a name, an address and a number apart (with
    # spaces, a number next to digits in a name would read, and be masked, as one long number).
    parts = "，".join(part.strip() for part in (office.name, office.address, office.phone) if part and part.strip())
    return _("Your office: %(office)s.") % {"office": parts}


def request(ctx: Context, phone: str | None = None) -> Reply | RequestCallback:
    """The call-back request for ``phone`` (or the number we know), unless one is already open."""
    phone = phone or ctx.audience.phone or ctx.slots.get("phone", "")
    if not phone:
        return start(ctx, None)
    person, region = _person_and_region(ctx)
    since = timezone.now() - datetime.timedelta(hours=settings.CHATBOT_CALLBACK_DEDUPE_HOURS)
    existing = open_callback_request(phone=phone, since=since)
    ctx.reset()
    if existing is not None:
        return Reply(
            _("You are already on the list; staff will call %(phone)s soon.") % {"phone": mask_phone(phone)}
            + office_line(region),
            [intent_button(Intent.CHECK_STATUS)],
            call_action(),
        )
    return RequestCallback(phone=phone, pensioner=person, region=region, topic=ctx.conversation.last_intent)


def after_request(ctx: Context, command: RequestCallback, outcome: CallbackRequested) -> Reply:
    return Reply(
        _("Done. Staff will call you back on %(phone)s during working hours; if it is urgent, call %(hotline)s.")
        % {"phone": mask_phone(command.phone), "hotline": hotline()}
        + office_line(command.region),
        [intent_button(Intent.CHECK_STATUS)],
        call_action(),
    )


def on_text(ctx: Context, prediction: Prediction) -> Reply | RequestCallback | None:
    """The reply if the message answers the question we asked; None if it is about something else."""
    if ctx.state == State.HANDOFF_CONFIRM:
        answer = yes_no(prediction)
        if answer is True:
            return request(ctx)
        if answer is False:
            return fallback.cancel(ctx)
        return None
    if ctx.state == State.HANDOFF_PHONE:
        for raw in _PHONE_RE.findall(prediction.text.clean):
            try:
                phone = normalize_mainland_mobile(raw)
            except ValidationError:
                continue
            ctx.slots["phone"] = phone
            return request(ctx, phone)
        if confident(prediction) and prediction.intent not in (Intent.HUMAN, Intent.OTHER):
            return None
        return fallback.reask(ctx, _("Please type an 11-digit mobile number, or say 'cancel'."), [cancel_button()])
    return None
