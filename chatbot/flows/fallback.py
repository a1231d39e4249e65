"""When the bot did not understand, or the person cancels: ask once, then offer a person."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chatbot.flows.context import Context, State
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.payloads import Payload
from chatbot.replies import Button, Reply, call_action, callback_button, cancel_button, intent_button, main_buttons

_MENU_EXCLUDED = frozenset({Intent.OTHER, Intent.GREETING, Intent.THANKS, Intent.CANCEL})


def miss(ctx: Context, prediction: Prediction | None, *, unreadable: bool = False, refused: bool = False) -> Reply:
    """First miss: one clarifying question with buttons. Second: offer a person."""
    ctx.misses += 1
    if refused or ctx.misses >= 2:
        return offer_human(ctx)
    ctx.set(State.CLARIFY)
    if unreadable:
        return Reply(_("I could not read that. Please tell me your question in words."), main_buttons())
    options = [intent for intent, _p in (prediction.ranking if prediction else ()) if intent not in _MENU_EXCLUDED]
    if not options:
        options = [Intent.CHECK_STATUS, Intent.HOW_TO_CERTIFY]
    buttons = [intent_button(Intent(intent)) for intent in options[:3]]
    buttons.append(Button(_("None of these"), Payload.none_of_these()))
    return Reply(_("Sorry, I am not sure I understood. Is it one of these?"), buttons)


def offer_human(ctx: Context) -> Reply:
    ctx.misses = 0
    ctx.set(State.OFFER_HUMAN)
    return Reply(
        _("Sorry, I still did not understand. Shall a member of staff call you back?"),
        [callback_button(), cancel_button()],
        call_action(),
    )


def reask(ctx: Context, question: str, buttons: list[Button]) -> Reply:
    """Ask the same question again; on the second failure offer a person instead."""
    ctx.misses += 1
    if ctx.misses >= 2:
        return offer_human(ctx)
    return Reply(question, buttons)


def cancel(ctx: Context) -> Reply:
    in_flow = ctx.state not in (State.IDLE, State.CLARIFY, State.OFFER_HUMAN)
    ctx.reset()
    ctx.misses = 0
    if in_flow:
        return Reply(_("All right, I have cancelled it. Nothing was submitted."), main_buttons())
    return Reply(_("All right. What else can I do for you?"), main_buttons())


def acknowledge(ctx: Context) -> Reply:
    """A bare "确认" / "好的" when no question is open (say, a second tap after a finished flow):
    nothing is waiting for it, so it starts nothing."""
    ctx.misses = 0
    return Reply(
        _("All right, there is nothing waiting for your confirmation. What else can I do for you?"), main_buttons()
    )
