"""The certification cycle's messages and its legal consequence, owned here with the cycle.

Every day: suspend whoever is a full grace period past the due date, then plan reminders before
the due date, overdue notices, "payment suspended, here is how to restore it" and "certification
complete" (the backstop for the on-commit hook). Planning is set-based and idempotent: each step
reads one indexed due-date range in chunks and inserts outbox rows whose dedupe key is new, so a
re-run after a crash (or twice a day) creates nothing twice, and the stage windows mean a missed
day is caught up instead of skipped. Sending is the SMS transport's business.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import Pensioner, RelativeLink
from accounts.selectors import relative_phones, village_assistant_phones
from notifications import texts
from notifications.models import SmsOutbox
from notifications.selectors import local_today, quiet_hours_end
from notifications.services import Planned, PlanResult, chunks, plan_candidates, sms_drain_soon, sms_plan
from notifications.sms import SmsKind
from selfservice import selectors
from selfservice.benefits import benefits_suspend
from selfservice.models import Benefit, Certification

logger = logging.getLogger(__name__)


def _plan_reminders(*, today: datetime.date, send_after: datetime.datetime, result: PlanResult) -> None:
    stages = settings.SMS_REMINDER_STAGES
    if not stages:
        return
    queryset = selectors.pensioners_to_remind(today=today, horizon=max(stages))
    for chunk in plan_candidates(queryset, "pk", "name", "phone", "next_due"):
        result.candidates["reminder"] += len(chunk)
        relatives = relative_phones(pensioner_ids=[pk for pk, _n, phone, _d in chunk if not phone])
        planned: list[Planned] = []
        for pk, name, phone, due in chunk:
            stage = selectors.reminder_stage(days_left=(due - today).days, stages=stages)
            base = f"reminder:{pk}:{due.isoformat()}:{stage}"
            context = {"name": texts.mask_name(name), "due": due}
            if phone:
                planned.append(Planned(base, phone, texts.REMINDER, SmsKind.REMINDER, pk, due, context))
            else:
                planned.extend(
                    Planned(
                        f"{base}:u{user_id}",
                        relative_phone,
                        texts.REMINDER_RELATIVE,
                        SmsKind.REMINDER,
                        pk,
                        due,
                        context,
                    )
                    for user_id, relative_phone in relatives.get(pk, ())
                )
        sms_plan(planned, send_after=send_after, result=result)


def _plan_overdue(*, today: datetime.date, send_after: datetime.datetime, result: PlanResult) -> None:
    grace = settings.OVERDUE_GRACE_DAYS
    queryset = selectors.pensioners_overdue(today=today, grace_days=grace)
    for chunk in plan_candidates(queryset, "pk", "name", "phone", "next_due", "region_id", "region__name"):
        result.candidates["overdue"] += len(chunk)
        relatives = relative_phones(pensioner_ids=[row[0] for row in chunk])
        assistants = village_assistant_phones(village_ids=[row[4] for row in chunk])
        planned: list[Planned] = []
        for pk, name, phone, due, region_id, village in chunk:
            base = f"overdue:{pk}:{due.isoformat()}"
            context = {"name": texts.mask_name(name), "due": due, "pause": due + datetime.timedelta(days=grace)}
            if phone:
                planned.append(Planned(base, phone, texts.OVERDUE, SmsKind.NOTICE, pk, due, context))
            planned.extend(
                Planned(f"{base}:u{user_id}", relative_phone, texts.OVERDUE_RELATIVE, SmsKind.NOTICE, pk, due, context)
                for user_id, relative_phone in relatives.get(pk, ())
                if relative_phone != phone
            )
            assistant_context = context | {"village": village[:12]}
            planned.extend(
                Planned(
                    f"{base}:a{user_id}",
                    assistant_phone,
                    texts.OVERDUE_ASSISTANT,
                    SmsKind.NOTICE,
                    pk,
                    due,
                    assistant_context,
                )
                for user_id, assistant_phone in assistants.get(region_id, ())
            )
        sms_plan(planned, send_after=send_after, result=result)


def _plan_suspended(*, today: datetime.date, send_after: datetime.datetime, result: PlanResult) -> None:
    queryset = selectors.pensioners_recently_suspended_overdue(today=today, within_days=settings.OVERDUE_GRACE_DAYS)
    for chunk in plan_candidates(queryset, "pk", "name", "phone", "next_due"):
        result.candidates["suspended"] += len(chunk)
        relatives = relative_phones(pensioner_ids=[row[0] for row in chunk])
        planned: list[Planned] = []
        for pk, name, phone, due in chunk:
            base = f"suspended:{pk}:{due.isoformat()}"
            context = {"name": texts.mask_name(name), "due": due}
            if phone:
                planned.append(Planned(base, phone, texts.SUSPENDED, SmsKind.NOTICE, pk, due, context))
            planned.extend(
                Planned(
                    f"{base}:u{user_id}", relative_phone, texts.SUSPENDED_RELATIVE, SmsKind.NOTICE, pk, due, context
                )
                for user_id, relative_phone in relatives.get(pk, ())
                if relative_phone != phone
            )
        sms_plan(planned, send_after=send_after, result=result)


def _certified_planned(rows: list[tuple[Any, ...]]) -> list[Planned]:
    """ "Certification complete" to the pensioner, or to approved relatives when there is no phone."""
    relatives = relative_phones(pensioner_ids=[row[0] for row in rows if not row[2]])
    planned: list[Planned] = []
    for pk, name, phone, due, benefit_status, method in rows:
        if benefit_status != Pensioner.BenefitStatus.ACTIVE:
            template = texts.CERTIFIED_SUSPENDED
        elif method == Certification.Method.SILENT:
            template = texts.CERTIFIED_SILENT  # "through data comparison": what happened, nothing more
        else:
            template = texts.CERTIFIED
        base = f"certified:{pk}:{due.isoformat()}"
        context = {"name": texts.mask_name(name), "due": due}
        if phone:
            planned.append(Planned(base, phone, template, SmsKind.REMINDER, pk, due, context))
        else:
            planned.extend(
                Planned(f"{base}:u{user_id}", relative_phone, template, SmsKind.REMINDER, pk, due, context)
                for user_id, relative_phone in relatives.get(pk, ())
            )
    return planned


CERTIFIED_FIELDS = ("pk", "name", "phone", "next_due", "benefit_status", "last_certification__method")


def _plan_certified(*, today: datetime.date, send_after: datetime.datetime, result: PlanResult) -> None:
    """Backstop for the on-commit hook: anyone who certified in the last 3 days and has no SMS yet."""
    queryset = selectors.pensioners_recently_certified(today=today, within_days=3)
    for chunk in plan_candidates(queryset, *CERTIFIED_FIELDS):
        result.candidates["certified"] += len(chunk)
        sms_plan(_certified_planned(chunk), send_after=send_after, result=result)


def reminders_plan(*, today: datetime.date | None = None, now: datetime.datetime | None = None) -> PlanResult:
    """Plan every reminder and notice of the certification cycle that is due today."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    send_after = quiet_hours_end(now) or now
    result = PlanResult()
    _plan_reminders(today=today, send_after=send_after, result=result)
    _plan_overdue(today=today, send_after=send_after, result=result)
    _plan_suspended(today=today, send_after=send_after, result=result)
    _plan_certified(today=today, send_after=send_after, result=result)
    return result


def certification_notify(*, certification: Certification) -> None:
    """After the certification commits, queue "certification complete, no action needed" when
    this certification is what set the pensioner's due date.

    The reason is keyed on the new due date, so two certifications on one day send one SMS; the
    daily run re-plans any that were lost.
    """
    pensioner_id, valid_until = certification.pensioner_id, certification.valid_until

    def plan() -> None:
        rows = list(
            Pensioner.objects.filter(pk=pensioner_id, next_due=valid_until, deceased_on__isnull=True)
            .exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
            .values_list(*CERTIFIED_FIELDS)
        )
        now = timezone.now()
        sms_plan(_certified_planned(rows), send_after=quiet_hours_end(now) or now, result=PlanResult())

    transaction.on_commit(plan)


def certifications_notify(*, certifications: list[Certification]) -> None:
    """``certification_notify`` for many at once (the bulk path): after commit, one query for the
    people and one plan; the same idempotent reasons, so nobody gets the SMS twice."""
    due = {certification.pensioner_id: certification.valid_until for certification in certifications}

    def plan() -> None:
        for chunk in chunks(sorted(due), 2000):
            rows = [
                row
                for row in Pensioner.objects.filter(pk__in=chunk, deceased_on__isnull=True)
                .exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
                # Only people someone can text (their phone, or a relative's): names and phones are
                # decrypted for recipients only, not for everyone the round certified.
                .filter(Q(phone__isnull=False) | Exists(RelativeLink.objects.filter(pensioner_id=OuterRef("pk"))))
                .values_list(*CERTIFIED_FIELDS)
                if row[3] == due[row[0]]
            ]
            now = timezone.now()
            sms_plan(_certified_planned(rows), send_after=quiet_hours_end(now) or now, result=PlanResult())

    transaction.on_commit(plan)


# --- Whether a planned message still applies when it is about to go -----------------------------


def _active_same_cycle(row: SmsOutbox, status: str, reason: str, next_due: datetime.date, held: bool) -> bool:
    return status == Pensioner.BenefitStatus.ACTIVE and not held and next_due == row.cycle_due


def _suspended_same_cycle(row: SmsOutbox, status: str, reason: str, next_due: datetime.date, held: bool) -> bool:
    return (
        status == Pensioner.BenefitStatus.SUSPENDED
        and reason == Pensioner.SuspensionReason.OVERDUE
        and not held
        and next_due == row.cycle_due
    )


def _not_ended(row: SmsOutbox, status: str, reason: str, next_due: datetime.date, held: bool) -> bool:
    return status != Pensioner.BenefitStatus.TERMINATED and not held


STATE_CHECKS = {
    texts.REMINDER: _active_same_cycle,
    texts.REMINDER_RELATIVE: _active_same_cycle,
    texts.OVERDUE: _active_same_cycle,
    texts.OVERDUE_RELATIVE: _active_same_cycle,
    texts.OVERDUE_ASSISTANT: _active_same_cycle,
    texts.SUSPENDED: _suspended_same_cycle,
    texts.SUSPENDED_RELATIVE: _suspended_same_cycle,
    texts.CERTIFIED: _not_ended,
    texts.CERTIFIED_SILENT: _not_ended,
    texts.CERTIFIED_SUSPENDED: _not_ended,
}


def cycle_messages_stale(rows: list[SmsOutbox]) -> set[int]:
    """Registered with the SMS transport: the rows whose pensioner certified, died or changed
    status since they were planned."""
    states = selectors.pensioner_states_for_sms(
        pensioner_ids={row.pensioner_id_ref for row in rows if row.pensioner_id_ref}
    )
    stale: set[int] = set()
    for row in rows:
        if not row.pensioner_id_ref:
            continue  # not about one person (written by hand, say): nothing to re-check
        state = states.get(row.pensioner_id_ref)
        if state is None or not STATE_CHECKS[row.template](row, *state):
            stale.add(row.pk)
    return stale


# --- Suspension after the grace period --------------------------------------------------------


def overdue_suspend(*, today: datetime.date | None = None) -> int:
    """Suspend everyone still uncertified a full grace period after the due date. Returns how many.

    One pensioner at a time through the benefit service (it audits), under a row lock with the
    conditions re-checked, so a certification arriving meanwhile wins. Batched in transactions of
    200 with a savepoint each, so one refusal does not undo the batch.
    """

    today = today or local_today()
    grace = settings.OVERDUE_GRACE_DAYS
    ids = selectors.pensioners_to_suspend(today=today, grace_days=grace).values_list("pk", flat=True)
    count = 0
    for chunk in chunks(ids.iterator(chunk_size=2000), 200):
        with transaction.atomic():
            for pensioner_id in chunk:
                try:
                    with transaction.atomic():
                        pensioner = (
                            selectors.pensioners_to_suspend(today=today, grace_days=grace)
                            .select_for_update()
                            .filter(pk=pensioner_id)
                            .first()
                        )
                        if pensioner is None:
                            continue
                        change = benefits_suspend(
                            pensioner=pensioner,
                            reason=Benefit.Reason.OVERDUE,
                            actor=None,
                            details={"next_due": pensioner.next_due.isoformat(), "by": "selfservice.overdue_suspend"},
                            certification_bound_only=True,
                        )
                        count += change.any_changed
                except Exception:
                    logger.exception("Could not suspend pensioner %s for overdue certification", pensioner_id)
    return count


@dataclass
class DailyResult:
    suspended: int
    plan: PlanResult


def certification_daily(*, today: datetime.date | None = None) -> DailyResult:
    """The daily schedule: suspend past the grace period, then plan every SMS, then start sending."""
    today = today or local_today()
    suspended = overdue_suspend(today=today)
    plan = reminders_plan(today=today)
    if plan.total_created:
        sms_drain_soon()
    return DailyResult(suspended=suspended, plan=plan)
