"""Personal answers read from the registry: certified or not, next due date, why a pension stopped,
the last payment. Only about one of ``ctx.audience.people``."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from backend.formats import plain_date
from casework.selectors import ledger_summary
from chatbot.flows import people
from chatbot.flows.context import Context
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.replies import Reply, call_action, callback_button, face_button, hotline, intent_button, thanks_button
from selfservice.selectors import CertificationState, CertificationStatus

PERSONAL_INTENTS = frozenset({Intent.CHECK_STATUS, Intent.NEXT_DUE, Intent.SUSPENDED})


def start(ctx: Context, intent: Intent, prediction: Prediction | None) -> Reply:
    """check_status / next_due / suspended: find whom it is about (maybe by asking), then answer."""
    subject = people.subject(ctx, intent, prediction)
    if isinstance(subject, Reply):
        return subject
    if subject is None:
        return people.nobody(ctx)
    return answer(ctx, intent, subject)


def answer(ctx: Context, intent: str, person: Pensioner) -> Reply:
    status = ctx.status(person)
    if intent == Intent.SUSPENDED:
        return _suspended_answer(ctx, person, status)
    if intent == Intent.NEXT_DUE:
        return _next_due_answer(ctx, person, status)
    return _status_answer(ctx, person, status)


def ended(ctx: Context, person: Pensioner, status: CertificationStatus) -> Reply | None:
    """The reply when the benefit has ended (nothing to certify), else None."""
    if status.state == CertificationState.DECEASED:
        return Reply(
            _("The benefit of %(name)s has ended. Our condolences. For death benefits please call %(hotline)s.")
            % {"name": person.name, "hotline": hotline()},
            [intent_button(Intent.HUMAN)],
            call_action(),
        )
    if status.state == CertificationState.TERMINATED:
        return Reply(
            _("The benefit of %(who)s has ended. For questions please call %(hotline)s.")
            % {"who": ctx.who(person), "hotline": hotline()},
            [intent_button(Intent.HUMAN)],
            call_action(),
        )
    return None


def face_action(ctx: Context, person: Pensioner) -> dict[str, Any] | None:
    """The app action that opens face certification for ``person`` (none over SMS)."""
    if ctx.sms:
        return None
    return {
        "type": "start_face_certification",
        "pensioner_id": person.pk,
        "proxy": not ctx.audience.is_own(person),
    }


def _status_answer(ctx: Context, person: Pensioner, status: CertificationStatus) -> Reply:
    ended_reply = ended(ctx, person, status)
    if ended_reply is not None:
        return ended_reply
    if status.state == CertificationState.SUSPENDED:
        return _suspended_answer(ctx, person, status)
    who = ctx.who(person)
    own = ctx.audience.is_own(person)
    last = ""
    if status.last_certified_at:
        last = _("Last time: %(date)s, %(method)s.") % {
            "date": plain_date(timezone.localtime(status.last_certified_at).date()),
            "method": status.last_method_label,
        }
    if status.state == CertificationState.CERTIFIED:
        text = _("%(who)s have certified. Next time is before %(due)s.") % {
            "who": who,
            "due": plain_date(status.next_due),
        }
        return Reply(f"{text}{last}", [intent_button(Intent.NEXT_DUE), thanks_button()])
    if status.state == CertificationState.DUE_SOON:
        text = _("The certification of %(who)s is due in %(days)d days (%(due)s). You can certify by face now.") % {
            "who": who,
            "days": status.days_left,
            "due": plain_date(status.next_due),
        }
        return Reply(
            text, [face_button(person, own=own), intent_button(Intent.HOW_TO_CERTIFY)], face_action(ctx, person)
        )
    text = _("The certification of %(who)s expired on %(due)s. Please certify now so the pension is not paused.") % {
        "who": who,
        "due": plain_date(status.next_due),
    }
    return Reply(text, [face_button(person, own=own), intent_button(Intent.HUMAN)], face_action(ctx, person))


def _next_due_answer(ctx: Context, person: Pensioner, status: CertificationStatus) -> Reply:
    ended_reply = ended(ctx, person, status)
    if ended_reply is not None:
        return ended_reply
    if status.state in (CertificationState.SUSPENDED, CertificationState.OVERDUE):
        return _status_answer(ctx, person, status)
    text = _("%(who)s should certify next before %(due)s, in %(days)d days. We will remind you by SMS before then.") % {
        "who": ctx.who(person),
        "due": plain_date(status.next_due),
        "days": status.days_left,
    }
    buttons = [intent_button(Intent.SILENT_CERT)]
    if status.state == CertificationState.DUE_SOON:
        buttons.insert(0, face_button(person, own=ctx.audience.is_own(person)))
        return Reply(text, buttons, face_action(ctx, person))
    return Reply(text, buttons)


def _suspended_answer(ctx: Context, person: Pensioner, status: CertificationStatus) -> Reply:
    ended_reply = ended(ctx, person, status)
    if ended_reply is not None:
        return ended_reply
    who = ctx.who(person)
    if status.state == CertificationState.SUSPENDED:
        if person.suspension_reason == Pensioner.SuspensionReason.OVERDUE:
            text = _(
                "The pension of %(who)s is paused because the certification expired. "
                "After a face certification it starts again and the paused months are paid back."
            ) % {"who": who}
            return Reply(
                text,
                [face_button(person, own=ctx.audience.is_own(person)), intent_button(Intent.HUMAN)],
                face_action(ctx, person),
            )
        if person.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT:
            text = _(
                "The pension of %(who)s is paused because a death was reported and is being checked. "
                "If this is a mistake, please call %(hotline)s at once."
            ) % {"who": who, "hotline": hotline()}
            return Reply(text, [intent_button(Intent.HUMAN)], call_action())
        text = _(
            "The pension of %(who)s is paused while the office checks the case. Please call %(hotline)s or "
            "ask a member of staff to call you."
        ) % {"who": who, "hotline": hotline()}
        return Reply(text, [callback_button()], call_action())
    if status.state == CertificationState.OVERDUE:
        text = _(
            "The pension of %(who)s is not paused yet, but the certification has expired. "
            "Please certify now, otherwise it will be paused."
        ) % {"who": who}
        return Reply(text, [face_button(person, own=ctx.audience.is_own(person))], face_action(ctx, person))
    text = _(
        "The pension of %(who)s is not paused and the certification is in order. "
        "If this month's payment has not arrived, a member of staff can check it."
    ) % {"who": who}
    return Reply(text, [callback_button(), intent_button(Intent.CHECK_STATUS)])


def amount(ctx: Context, person: Pensioner) -> Reply:
    """The last payment, from the benefit ledger."""
    ctx.status(person)  # audited like any read about someone else
    summary = ledger_summary(pensioner=person)
    if summary.last_paid_on is None:
        return Reply(
            _("I cannot see a payment yet. For amounts and adjustments please call %(hotline)s.")
            % {"hotline": hotline()},
            [callback_button()],
        )
    return Reply(
        _(
            "The last pension of %(who)s, %(amount)s yuan, was paid on %(date)s. "
            "For amounts and adjustments please call %(hotline)s."
        )
        % {
            "who": ctx.who(person),
            "amount": summary.last_paid_amount,
            "date": plain_date(summary.last_paid_on),
            "hotline": hotline(),
        },
        [callback_button(), intent_button(Intent.CHECK_STATUS)],
    )
