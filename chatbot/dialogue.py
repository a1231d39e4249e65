"""The conversation: from one understood message and the conversation state to one step.

This module only routes. A button goes to the flow that offered it; a message inside a guided
flow goes to that flow's slot filling; anything else is understood and goes to the flow of its
intent (``chatbot/flows/``). Flows read and keep their progress in ``conversation.state`` /
``conversation.slots``:

* ``pick_person``    — which of my people a question is about (buttons with their names)
* ``death_person`` → ``death_date`` → ``death_place`` → ``death_confirm`` — death report
* ``handoff_confirm`` / ``handoff_phone`` — a callback request for staff
* ``clarify`` / ``offer_human`` — after one / two messages the bot did not understand

"取消" (or the cancel button) ends any flow at any point. The dialogue never writes: a step is a
reply, or a command (see :mod:`chatbot.commands`) that ``chatbot.services`` carries out and hands
back to :meth:`Dialogue.resume` for the reply.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import Pensioner
from chatbot.commands import (
    CallbackRequested,
    Command,
    DeathReportRefused,
    DeathReportSubmitted,
    Effect,
    Outcome,
    RequestCallback,
    SubmitDeathReport,
)
from chatbot.flows import certify, death_report, fallback, general, handoff, people, relative_link, status
from chatbot.flows.context import Context, State, confident, is_bare_yes
from chatbot.models import Conversation
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.nlu.needs import detect_needs
from chatbot.nlu.sms import check_sms
from chatbot.payloads import Kind, Payload
from chatbot.replies import Reply, intent_button
from chatbot.selectors import Audience

Step = Reply | Command
# A pasted notice is a few sentences long; "您好" alone is a greeting, not a notice.
PASTED_MIN_CHARS = 20


@dataclass
class Turn:
    """What one incoming message led to: the reply (None until a command's outcome decides it),
    what to store on the message, and the writes to carry out."""

    reply: Reply | None
    intent: str = ""
    confidence: float | None = None
    source: str = ""
    command: Command | None = None
    effects: list[Effect] = field(default_factory=list)


_INTENT_FLOWS: dict[Intent, Callable[[Context, Prediction | None], Reply]] = {
    Intent.GREETING: general.greeting,
    Intent.THANKS: general.thanks,
    Intent.CANCEL: lambda ctx, _p: fallback.cancel(ctx),
    Intent.CHECK_STATUS: lambda ctx, p: status.start(ctx, Intent.CHECK_STATUS, p),
    Intent.NEXT_DUE: lambda ctx, p: status.start(ctx, Intent.NEXT_DUE, p),
    Intent.SUSPENDED: lambda ctx, p: status.start(ctx, Intent.SUSPENDED, p),
    Intent.HOW_TO_CERTIFY: certify.how_to,
    Intent.FACE_FAILED: certify.face_failed,
    Intent.PROXY_CERTIFY: relative_link.proxy,
    Intent.REPORT_DEATH: death_report.start,
    Intent.SILENT_CERT: general.silent,
    Intent.REMOTE_ABROAD: certify.remote,
    Intent.HUMAN: handoff.start,
    Intent.OTHER: general.other,
}


class Dialogue:
    def __init__(
        self,
        *,
        audience: Audience,
        conversation: Conversation,
        today: datetime.date | None = None,
    ) -> None:
        self.conversation = conversation
        self.ctx = Context(
            audience=audience,
            conversation=conversation,
            today=today or timezone.localdate(),
            slots=dict(conversation.slots or {}),
        )

    # Entry points ------------------------------------------------------------------------------

    def handle(self, *, text: str, payload: str = "") -> Turn:
        """One message (or button) in; the reply or the command to carry out."""
        turn = self._turn(text=text, payload=payload)
        turn.effects = list(self.ctx.effects)
        self.ctx.effects.clear()
        self._save_state()
        return turn

    def resume(self, command: Command, outcome: Outcome) -> Reply:
        """The reply once ``chatbot.services`` carried out the turn's command."""
        if isinstance(command, SubmitDeathReport) and isinstance(outcome, DeathReportSubmitted | DeathReportRefused):
            reply = death_report.after_submit(self.ctx, outcome)
        elif isinstance(command, RequestCallback) and isinstance(outcome, CallbackRequested):
            reply = handoff.after_request(self.ctx, command, outcome)
        else:
            raise TypeError(f"no flow expects {type(outcome).__name__} for {type(command).__name__}")
        self._save_state()
        return reply

    def _save_state(self) -> None:
        self.conversation.slots = self.ctx.slots

    # Routing -----------------------------------------------------------------------------------

    def _turn(self, *, text: str, payload: str) -> Turn:
        button = Payload.decode(payload)
        if button is not None:
            turn = self._button(button)
            if turn is not None:
                return turn
        ctx = self.ctx
        needs = detect_needs(text)
        prediction = needs.main

        def understood(reply: Reply) -> Turn:
            return Turn(reply, prediction.intent, prediction.confidence, prediction.source)

        if prediction.source == "empty":
            return understood(fallback.miss(ctx, prediction, unreadable=True))
        if prediction.intent == Intent.CANCEL and confident(prediction):
            return understood(fallback.cancel(ctx))
        state = ctx.state
        if state != State.IDLE:
            step = self._slot(prediction)
            if step is not None:
                return _turn(step, self._flow_intent(state) or prediction.intent, prediction.confidence, "flow")
            ctx.reset()  # the person moved on to something else
        elif is_bare_yes(prediction):
            return understood(fallback.acknowledge(ctx))
        if people.foreign_id_number(ctx, prediction):
            ctx.misses = 0
            return understood(people.not_yours(ctx))
        pasted = check_sms(prediction.text)
        if pasted.is_notice and len(prediction.text.clean) >= PASTED_MIN_CHARS:
            ctx.misses = 0
            return understood(general.pasted_notice(ctx, pasted))
        if not confident(prediction):
            return understood(fallback.miss(ctx, prediction))
        ctx.misses = 0
        self.conversation.last_intent = prediction.intent
        reply = self._intent(Intent(prediction.intent), prediction)
        if needs.second is not None and ctx.state == State.IDLE:
            # Two needs in one message: answer the main one, offer the other as the first button.
            offered = intent_button(Intent(needs.second))
            reply.buttons = [offered, *(b for b in reply.buttons if b.payload != offered.payload)][:4]
        return understood(reply)

    def _intent(self, intent: Intent, prediction: Prediction | None) -> Reply:
        if prediction is not None and prediction.text.has_url and intent in general.LINK_BAIT_INTENTS:
            return general.fraud_warning(self.ctx)
        return _INTENT_FLOWS[intent](self.ctx, prediction)

    def _flow_intent(self, state: str) -> str:
        if state in death_report.STATES:
            return Intent.REPORT_DEATH
        if state in handoff.STATES:
            return Intent.HUMAN
        if state == State.PICK_PERSON:
            purpose = self.ctx.slots.get("purpose", "")
            return purpose if purpose in Intent.__members__.values() else Intent.HOW_TO_CERTIFY
        return ""

    def _button(self, button: Payload) -> Turn | None:
        """A quick-reply button; None means "not a button this state expects": treat it as text."""
        ctx = self.ctx
        if button.kind == Kind.CANCEL:
            return _turn(fallback.cancel(ctx), Intent.CANCEL, 1.0, "button")
        if button.kind == Kind.INTENT and (intent := button.intent_value) is not None:
            ctx.reset()
            ctx.misses = 0
            self.conversation.last_intent = intent
            return _turn(self._intent(intent, None), intent, 1.0, "button")
        if button.kind == Kind.NONE:
            return _turn(fallback.miss(ctx, None, refused=True), Intent.OTHER, 0.0, "button")
        if button.kind == Kind.FACE:
            person = ctx.audience.person(button.pensioner_id) if button.arg else None
            if button.arg and person is None:
                return _turn(people.not_yours(ctx), Intent.HOW_TO_CERTIFY, 1.0, "button")
            ctx.reset()
            return _turn(certify.face_start(ctx, person), Intent.HOW_TO_CERTIFY, 1.0, "button")
        if button.kind == Kind.PERSON and ctx.state == State.PICK_PERSON:
            purpose = ctx.slots.get("purpose", "")
            person = ctx.audience.person(button.pensioner_id)
            reply = people.not_yours(ctx) if person is None else self._person_chosen(person)
            return _turn(reply, purpose, 1.0, "button")
        if button.kind == Kind.HANDOFF:
            return _turn(handoff.request(ctx), Intent.HUMAN, 1.0, "button")
        if ctx.state in death_report.STATES:
            step = death_report.on_button(ctx, button)
            if step is not None:
                return _turn(step, Intent.REPORT_DEATH, 1.0, "button")
        return None

    def _slot(self, prediction: Prediction) -> Step | None:
        """The step if the message answers the question the state asked; None if it is something else."""
        ctx = self.ctx
        if ctx.state == State.PICK_PERSON:
            chosen = people.choose(ctx, prediction, candidates=ctx.audience.people)
            return self._person_chosen(chosen) if isinstance(chosen, Pensioner) else chosen
        if ctx.state in death_report.STATES:
            return death_report.on_text(ctx, prediction)
        if ctx.state in handoff.STATES:
            return handoff.on_text(ctx, prediction)
        return None  # clarify / offer_human: the message is read afresh

    def _person_chosen(self, person: Pensioner) -> Reply:
        """Back to the question ``pick_person`` was asked for, now about ``person``."""
        purpose = self.ctx.slots.get("purpose", Intent.CHECK_STATUS)
        self.ctx.reset()
        if purpose in (certify.FACE_PURPOSE, Intent.HOW_TO_CERTIFY):
            return certify.face_start(self.ctx, person)
        return status.answer(self.ctx, purpose, person)


def _turn(step: Step, intent: str, confidence: float | None, source: str) -> Turn:
    if isinstance(step, Reply):
        return Turn(step, intent, confidence, source)
    return Turn(None, intent, confidence, source, command=step)
