"""How to certify, starting a face certification, when the face scan fails, living elsewhere."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from accounts.models import Pensioner
from chatbot.flows import people, status
from chatbot.flows.context import Context, State
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.cues import CUES
from chatbot.nlu.intents import Intent
from chatbot.replies import Reply, callback_button, face_button, intent_button

FACE_PURPOSE = "face"  # pick_person's purpose when a face button named nobody yet

_START_RE = re.compile(r"^(?:我想|我要|帮我|给我|现在|马上|开始|准备好了)")
_HOWTO_RE = re.compile(CUES["howto"])


def how_to(ctx: Context, prediction: Prediction | None) -> Reply:
    """ "How do I certify?" explains; "我要认证" (wants to start) opens the face certification."""
    wants_to_start = prediction is not None and (
        _START_RE.search(prediction.text.model_text) and not _HOWTO_RE.search(prediction.text.model_text)
    )
    if wants_to_start:
        subject = people.subject(ctx, Intent.HOW_TO_CERTIFY, prediction)
        if isinstance(subject, Reply):
            return subject
        return face_start(ctx, subject)
    text = _(
        "You can certify with a face scan in this app; no blinking or nodding is needed, and family members "
        "can help. Without a smartphone, ask your community or village to visit you, or go to a service counter."
    )
    if ctx.sms:
        text = _(
            "You can certify with a face scan in the social-insurance app; family members can help. Without a "
            "smartphone, ask your community or village to visit you, or go to a service counter."
        )
    return Reply(text, [face_button(None), intent_button(Intent.PROXY_CERTIFY), intent_button(Intent.HUMAN)])


def face_start(ctx: Context, person: Pensioner | None) -> Reply:
    """Open face certification for ``person`` (asking whom first when it is not clear)."""
    if person is None:
        subject = people.subject(ctx, Intent.HOW_TO_CERTIFY, None)
        if isinstance(subject, Reply):
            if ctx.state == State.PICK_PERSON:
                ctx.slots["purpose"] = FACE_PURPOSE
            return subject
        if subject is None:
            return people.nobody(ctx)
        person = subject
    current = ctx.status(person)
    ended = status.ended(ctx, person, current)
    if ended is not None:
        return ended
    if ctx.sms:
        return Reply(
            _("Please open the social-insurance app and tap 'face certification'. No blinking or nodding is needed."),
            [intent_button(Intent.FACE_FAILED)],
        )
    own = ctx.audience.is_own(person)
    if own:
        text = _(
            "Tap the button below to start. Hold the phone in front of your face in good light; "
            "no blinking or nodding is needed."
        )
    else:
        text = _(
            "Tap the button below to certify for %(name)s. Point your phone at %(name)s's own face in good light."
        ) % {"name": person.name}
    return Reply(
        text,
        [face_button(person, own=own), intent_button(Intent.FACE_FAILED)],
        status.face_action(ctx, person),
    )


def face_failed(ctx: Context, prediction: Prediction | None) -> Reply:
    return Reply(
        _(
            "Face a bright window, take off hat, mask and glasses, and hold the phone at eye level; no blinking "
            "is needed. If it keeps failing, a family member can help, or your community can certify you at home."
        ),
        [face_button(None), intent_button(Intent.PROXY_CERTIFY), callback_button()],
    )


def remote(ctx: Context, prediction: Prediction | None) -> Reply:
    return Reply(
        _(
            "Wherever you live, in another province or abroad, you can certify by face in the app. "
            "Abroad, you can also get a life certificate from the Chinese embassy or consulate (in the "
            "中国领事 app or on paper) and send it to your social-insurance office; staff record it and it "
            "counts from the date it was issued."
        ),
        [face_button(None), intent_button(Intent.HUMAN)],
    )
