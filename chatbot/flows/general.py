"""Answers that need no flow: greeting, thanks, silent certification, scams, anything else."""

from __future__ import annotations

import re

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from backend.formats import plain_date
from chatbot.flows import people, status
from chatbot.flows.context import Context
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.cues import CUES
from chatbot.nlu.intents import Intent
from chatbot.nlu.sms import Reason as SmsReason
from chatbot.nlu.sms import SmsCheck, SmsVerdict
from chatbot.replies import Reply, call_action, hotline, intent_button, main_buttons

_FRAUD_RE = re.compile(CUES["fraud"])
_AMOUNT_RE = re.compile(r"多少钱|多少|发了|发放|到账|金额|几号发")

# Intents a pasted text with a link most likely pretends to be about: warn instead of answering.
LINK_BAIT_INTENTS = frozenset(
    {Intent.OTHER, Intent.SILENT_CERT, Intent.SUSPENDED, Intent.HOW_TO_CERTIFY, Intent.CHECK_STATUS}
)


def greeting(ctx: Context, prediction: Prediction | None) -> Reply:
    return Reply(
        _(
            "Hello, I am the certification assistant. I can check your certification, tell you when the "
            "next one is due, and help you certify."
        ),
        main_buttons(),
    )


def thanks(ctx: Context, prediction: Prediction | None) -> Reply:
    return Reply(_("You are welcome. Take care, and ask me any time."), [intent_button(Intent.CHECK_STATUS)])


def silent(ctx: Context, prediction: Prediction | None) -> Reply:
    text = _(
        "Silent certification means the office checks records other departments send, such as a vaccination, "
        "a hospital stay or the senior bus card check, or several everyday traces together such as bank counter "
        "visits and bus rides. When your certification is due within three months and such records show you are "
        "well, it is done for you and you get an SMS; without records, please certify by face or ask for a visit. "
        "A genuine SMS never asks you to click a link, pay, or give a code."
    )
    subject = people.subject(ctx, Intent.SILENT_CERT, prediction, ask=False)
    if isinstance(subject, Pensioner):
        current = ctx.status(subject)
        if current.last_method == "silent" and current.last_certified_at:
            text += _("%(who)s were last certified this way on %(date)s.") % {
                "who": ctx.who(subject),
                "date": plain_date(timezone.localtime(current.last_certified_at).date()),
            }
    return Reply(text, [intent_button(Intent.CHECK_STATUS), intent_button(Intent.NEXT_DUE)])


def fraud_warning(ctx: Context) -> Reply:
    return Reply(
        _(
            "This message may be a scam. The social-insurance office never asks you to click a link, transfer "
            "money or give a verification code. If unsure, call %(hotline)s."
        )
        % {"hotline": hotline()},
        [intent_button(Intent.CHECK_STATUS), intent_button(Intent.HUMAN)],
        call_action(),
    )


def _scam_signs() -> dict[str, str]:
    return {
        SmsReason.LINK: _("it has a link to click"),
        SmsReason.SECRETS: _("it asks for a bank card, password or verification code"),
        SmsReason.MONEY: _("it asks you to pay or move money"),
        SmsReason.THREAT: _("it threatens you with a deadline"),
        SmsReason.LURE: _("it promises money waiting to be claimed"),
        SmsReason.OTHER_CONTACT: _("it asks you to call another number or add a contact"),
    }


def pasted_notice(ctx: Context, check: SmsCheck) -> Reply:
    """Someone pasted a text message they received: say plainly whether it is genuine."""
    buttons = [intent_button(Intent.CHECK_STATUS), intent_button(Intent.HUMAN)]
    if check.verdict == SmsVerdict.SCAM:
        signs = _scam_signs()
        why = "；".join(signs[reason] for reason in check.reasons if reason in signs)
        text = _(
            "This text is a scam: %(why)s. Do not click, pay or give any code. The social-insurance office "
            "never asks for these. If unsure, call %(hotline)s."
        ) % {"why": why, "hotline": hotline()}
        return Reply(text, buttons, call_action())
    if check.verdict == SmsVerdict.GENUINE:
        return Reply(
            _(
                "This looks like a genuine notice: it says your certification was done from records and asks "
                "nothing of you. You can check your status here."
            ),
            buttons,
        )
    return Reply(
        _(
            "I cannot tell whether this text is genuine. Do not click links or give any code; check your "
            "status here or call %(hotline)s."
        )
        % {"hotline": hotline()},
        buttons,
        call_action(),
    )


def other(ctx: Context, prediction: Prediction | None) -> Reply:
    model_text = prediction.text.model_text if prediction else ""
    if prediction is not None and _FRAUD_RE.search(model_text):
        return fraud_warning(ctx)
    if prediction is not None and _AMOUNT_RE.search(model_text):
        subject = people.subject(ctx, Intent.OTHER, prediction, ask=False)
        if isinstance(subject, Pensioner):
            return status.amount(ctx, subject)
    return Reply(
        _(
            "I cannot answer that yet. I can check certification, help you certify, or ask a member of staff "
            "to call you."
        ),
        main_buttons(),
    )
