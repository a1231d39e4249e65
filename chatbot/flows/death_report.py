"""Reporting a death: who → date → place → confirmation.

Only whom the asker may report for (``Capability.REPORT_DEATH``: in the chatbot, a linked relative with
an account) is offered. Answers given early ("我爸昨天在家里走了")
fill their slots at once, so only what is still missing is asked. Nothing is written until the
explicit confirmation, which returns a :class:`~chatbot.commands.SubmitDeathReport` for
``chatbot.services`` to carry out with ``casework.services.death_report_submit`` (the API's own
service); :func:`after_submit` turns its outcome into the reply.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid

from django.utils.translation import gettext as _

from accounts.models import Pensioner
from accounts.roles import Role
from accounts.selectors import Capability, user_is_staff_member, user_roles
from backend.formats import plain_date
from casework.selectors import ReportState, assistant_villages, monthly_report_status, reporting_period_now
from chatbot.commands import DeathReportRefused, DeathReportSubmitted, SubmitDeathReport
from chatbot.flows import fallback, people
from chatbot.flows.context import Context, State, confident, yes_no
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.dates import parse_date
from chatbot.nlu.intents import Intent
from chatbot.payloads import DateChoice, Kind, Payload, PlaceChoice
from chatbot.replies import (
    Button,
    Reply,
    call_action,
    callback_button,
    cancel_button,
    hotline,
    intent_button,
    link_family_button,
    main_buttons,
)
from selfservice.selectors import CertificationState

logger = logging.getLogger(__name__)

STATES = frozenset({State.DEATH_PERSON, State.DEATH_DATE, State.DEATH_PLACE, State.DEATH_CONFIRM})
_DATE_ERRORS = frozenset({"date_in_future", "date_before_birth"})

# "在家里", "在家中", "在老家", "在县人民医院", "在镇卫生院", "在养老院"; not "现在家里…" nor "家里老人…".
_PLACE_RE = re.compile(
    r"(?<![现正还存实好])在(?:(?P<home>(?:自己|老)?家(?:里|中)?)"
    r"|(?P<institution>[\u4e00-\u9fffA-Za-z0-9]{0,12}?(?:医院|卫生院|养老院|敬老院|福利院)))"
)


def place_in(text: str) -> str | None:
    """The place of death if the text names one: "at home", "in hospital" or the institution's name."""
    match = _PLACE_RE.search(text)
    if match is None:
        return None
    if match.group("home"):
        return _("at home")
    institution = match.group("institution")
    return _("in hospital") if institution == "医院" else institution


def _for_assistant(ctx: Context) -> Reply | None:
    """A village assistant reports deaths in their villages from the app's death report screen, and
    lists them in the monthly report: say so, with this month's report state, not "call 12333"."""
    user = ctx.audience.user
    if user is None or Role.VILLAGE_ASSISTANT not in user_roles(user):
        return None
    period = reporting_period_now(ctx.today)
    statuses = monthly_report_status(villages=assistant_villages(actor=user), period=period, today=ctx.today)
    states = {
        ReportState.ON_TIME: _("filed"),
        ReportState.LATE: _("filed late"),
        ReportState.MISSING: _("not filed, overdue"),
        ReportState.NOT_DUE: _("not filed yet, due %(date)s"),
    }
    lines = "；".join(
        f"{status.village.name}：{states[status.state] % {'date': plain_date(status.due_on)}}" for status in statuses
    )
    return Reply(
        _(
            "As village assistant, report a death in your villages on the app's death report screen, with a "
            "photo of the certificate, and list it in the monthly report. Reports for %(month)s: %(lines)s."
        )
        % {"month": f"{period.year}年{period.month}月", "lines": lines or _("no village assigned")},
        [intent_button(Intent.HOW_TO_CERTIFY), callback_button()],
    )


def _for_staff(ctx: Context) -> Reply | None:
    user = ctx.audience.user
    if user is None or not user_is_staff_member(user):
        return None
    return Reply(
        _(
            "Staff record and handle death reports in the back office (case list, category suspected death), "
            "with two-level approval."
        ),
        main_buttons(),
    )


def start(ctx: Context, prediction: Prediction | None) -> Reply:
    reportable = ctx.audience.people_who_may(Capability.REPORT_DEATH)
    if not reportable and (role_reply := _for_assistant(ctx) or _for_staff(ctx)) is not None:
        return role_reply
    if ctx.audience.user is None or not reportable:
        return Reply(
            _(
                "Our condolences. Family members linked to the pensioner can report a death here; "
                "otherwise please call %(hotline)s or go to a service counter."
            )
            % {"hotline": hotline()},
            [callback_button(), link_family_button()],
            call_action(),
        )
    date = parse_date(prediction.text.clean, today=ctx.today) if prediction else None
    date_iso = date.isoformat() if date else None
    place = place_in(prediction.text.clean) if prediction else None
    kind, matches = people.mentioned(ctx, prediction)
    if kind == "other":
        return people.not_yours(ctx)
    if kind == "not_linked":
        return people.not_linked(ctx)
    candidates = [p for p in matches if p in reportable] if kind in ("person", "ambiguous") else reportable
    if len(candidates) == 1:
        return with_person(ctx, candidates[0], date_iso=date_iso, place=place)
    if not candidates:
        return people.not_yours(ctx)
    ctx.set(State.DEATH_PERSON, purpose=Intent.REPORT_DEATH, date=date_iso, place=place)
    return Reply(
        _("Our condolences. Who passed away?"),
        [*[Button(p.name, Payload.person(p.pk)) for p in candidates[:4]], cancel_button()],
    )


def person_chosen(ctx: Context, person: Pensioner) -> Reply:
    return with_person(ctx, person, date_iso=ctx.slots.get("date"), place=ctx.slots.get("place"))


def with_person(ctx: Context, person: Pensioner, *, date_iso: str | None, place: str | None = None) -> Reply:
    if not ctx.audience.may(person, Capability.REPORT_DEATH):
        ctx.reset()
        return people.not_yours(ctx)
    current = ctx.status(person)
    if current.state in (CertificationState.DECEASED, CertificationState.TERMINATED):
        ctx.reset()
        return Reply(
            _("The benefit of %(name)s has already ended; nothing more needs to be reported here.")
            % {"name": person.name},
            [intent_button(Intent.HUMAN)],
        )
    ctx.set(State.DEATH_DATE, pensioner_id=person.pk, date=date_iso, place=place, request_id=str(uuid.uuid4()))
    return ask_next(ctx)


def _person(ctx: Context) -> Pensioner | None:
    person = ctx.audience.person(ctx.slots.get("pensioner_id"))
    return person if person is not None and ctx.audience.may(person, Capability.REPORT_DEATH) else None


def _date_buttons() -> list[Button]:
    return [
        Button(_("Today"), Payload.date(DateChoice.TODAY)),
        Button(_("Yesterday"), Payload.date(DateChoice.YESTERDAY)),
        cancel_button(),
    ]


def _confirm_buttons() -> list[Button]:
    return [Button(_("Confirm and submit"), Payload.confirm()), cancel_button()]


def ask_next(ctx: Context) -> Reply:
    """Ask for the next missing answer, or for the confirmation when all are there."""
    person = _person(ctx)
    if person is None:
        ctx.reset()
        return people.not_yours(ctx)
    slots = dict(ctx.slots)
    if not slots.get("date"):
        ctx.set(State.DEATH_DATE, **slots)
        return Reply(
            _("Our condolences. On what date did %(name)s pass away? For example 'November 20' or 'yesterday'.")
            % {"name": person.name},
            _date_buttons(),
        )
    if not slots.get("place"):
        ctx.set(State.DEATH_PLACE, **slots)
        return Reply(
            _("Where did it happen? You can type the place, or tap a button."),
            [
                Button(_("At home"), Payload.place(PlaceChoice.HOME)),
                Button(_("In hospital"), Payload.place(PlaceChoice.HOSPITAL)),
                cancel_button(),
            ],
        )
    ctx.set(State.DEATH_CONFIRM, **slots)
    link = ctx.audience.links[person.pk]  # in the chatbot only a relative may report (CAPABILITIES)
    return Reply(
        _(
            "Please check: %(name)s passed away on %(date)s %(place)s, reported by you (%(relationship)s). "
            "After you submit, the pension is paused while we verify."
        )
        % {
            "name": person.name,
            "date": plain_date(datetime.date.fromisoformat(slots["date"])),
            "place": slots["place"],
            "relationship": link.get_relationship_display(),
        },
        _confirm_buttons(),
    )


def on_button(ctx: Context, payload: Payload) -> Reply | SubmitDeathReport | None:
    """A button of this flow, in the state that offered it; None for any other button."""
    if payload.kind == Kind.PERSON and ctx.state == State.DEATH_PERSON:
        person = ctx.audience.person(payload.pensioner_id)
        return people.not_yours(ctx) if person is None else person_chosen(ctx, person)
    if payload.kind == Kind.CONFIRM and ctx.state == State.DEATH_CONFIRM:
        return submit(ctx)
    if payload.kind == Kind.DATE and ctx.state == State.DEATH_DATE and payload.date_choice is not None:
        days_back = 1 if payload.date_choice == DateChoice.YESTERDAY else 0
        ctx.slots["date"] = (ctx.today - datetime.timedelta(days=days_back)).isoformat()
        return ask_next(ctx)
    if payload.kind == Kind.PLACE and ctx.state == State.DEATH_PLACE and payload.place_choice is not None:
        ctx.slots["place"] = _("at home") if payload.place_choice == PlaceChoice.HOME else _("in hospital")
        return ask_next(ctx)
    return None


def on_text(ctx: Context, prediction: Prediction) -> Reply | SubmitDeathReport | None:
    """The reply if the message answers the question we asked; None if it is about something else."""
    state = ctx.state
    if state == State.DEATH_PERSON:
        chosen = people.choose(ctx, prediction, candidates=ctx.audience.people_who_may(Capability.REPORT_DEATH))
        return person_chosen(ctx, chosen) if isinstance(chosen, Pensioner) else chosen
    if state == State.DEATH_DATE:
        day = parse_date(prediction.text.clean, today=ctx.today)
        if day is None:
            if confident(prediction) and prediction.intent not in (Intent.REPORT_DEATH, Intent.OTHER):
                return None
            return fallback.reask(
                ctx, _("Please tell me the date, for example 'November 20' or 'yesterday'."), _date_buttons()
            )
        if day > ctx.today:
            return fallback.reask(
                ctx, _("The date cannot be in the future. On what date did it happen?"), _date_buttons()
            )
        ctx.slots["date"] = day.isoformat()
        place = place_in(prediction.text.clean)
        if place and not ctx.slots.get("place"):
            ctx.slots["place"] = place
        ctx.misses = 0
        return ask_next(ctx)
    if state == State.DEATH_PLACE:
        if prediction.source == "rule" or (confident(prediction) and prediction.intent == Intent.HUMAN):
            return None  # "你好", "谢谢", "转人工" are not places
        place = prediction.text.clean.strip()[:100]
        if not place:
            return fallback.reask(
                ctx, _("Where did it happen? For example 'at home' or the hospital's name."), [cancel_button()]
            )
        ctx.slots["place"] = place
        return ask_next(ctx)
    if state == State.DEATH_CONFIRM:
        answer = yes_no(prediction)
        if answer is True:
            return submit(ctx)
        if answer is False:
            return fallback.cancel(ctx)
        return fallback.reask(ctx, _("Please tap 'Confirm and submit' or 'Cancel'."), _confirm_buttons())
    return None


def submit(ctx: Context) -> Reply | SubmitDeathReport:
    """Every answer is there and confirmed: ask for the report to be submitted."""
    person = _person(ctx)
    if person is None or ctx.audience.user is None or not ctx.slots.get("date") or not ctx.slots.get("place"):
        ctx.reset()
        return Reply(_("Something is missing, so nothing was submitted. Please start again."), main_buttons())
    return SubmitDeathReport(
        pensioner_id=person.pk,
        date_of_death=datetime.date.fromisoformat(ctx.slots["date"]),
        place=ctx.slots["place"],
        client_request_id=uuid.UUID(ctx.slots["request_id"]),
    )


def after_submit(ctx: Context, outcome: DeathReportSubmitted | DeathReportRefused) -> Reply:
    if isinstance(outcome, DeathReportSubmitted):
        ctx.reset()
        return Reply(
            _(
                "Thank you, we received your report (case no. %(case)d). The pension is paused while we verify, and "
                "we will tell you the result by SMS. For funeral grants bring the death certificate to a service "
                "counter."
            )
            % {"case": outcome.case_id},
            [callback_button()],
        )
    person = _person(ctx)
    if outcome.code in _DATE_ERRORS and person is not None:
        ctx.set(State.DEATH_DATE, **dict(ctx.slots, date=None))
        return Reply(
            _("%(problem)s On what date did %(name)s pass away?") % {"problem": outcome.message, "name": person.name},
            [cancel_button()],
        )
    ctx.reset()
    logger.info("chatbot death report refused: %s", outcome.code)
    return Reply(outcome.message, [intent_button(Intent.HUMAN)])
