"""The one owner of benefit status: every change of a ``Benefit`` goes through here.

``TRANSITIONS`` is the table of allowed changes. Each operation acts on one person's benefits
together (a death report holds every payment, a death ends them all, an overdue certification
suspends those that require it): it locks the person's row, checks every change against the
table, saves, keeps the person's summary (``Pensioner.benefit_status``…) in step, audits, and
returns the fresh rows. Callers use what is returned; nothing is copied back onto their objects.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, Region, User
from accounts.services import audit_record
from backend.api.errors import ConflictError
from selfservice.models import Benefit, BenefitHold

Status = Benefit.Status
Reason = Benefit.Reason

#: Each operation and the (from, to) changes it may make. Terminated is final: nothing leaves it.
TRANSITIONS: dict[str, frozenset[tuple[str, str]]] = {
    "hold": frozenset({(Status.ACTIVE, Status.HELD), (Status.SUSPENDED, Status.HELD)}),
    "release": frozenset({(Status.HELD, Status.ACTIVE), (Status.HELD, Status.SUSPENDED)}),
    # Suspended → suspended: a new reason (a case decided after an overdue pause).
    "suspend": frozenset(
        {(Status.ACTIVE, Status.SUSPENDED), (Status.HELD, Status.SUSPENDED), (Status.SUSPENDED, Status.SUSPENDED)}
    ),
    "resume": frozenset({(Status.SUSPENDED, Status.ACTIVE)}),
    "terminate": frozenset(
        {(Status.ACTIVE, Status.TERMINATED), (Status.HELD, Status.TERMINATED), (Status.SUSPENDED, Status.TERMINATED)}
    ),
}

# What the person's summary says for a stopped benefit's reason.
_SUMMARY_REASON: dict[str, str] = {
    Reason.OVERDUE: Pensioner.SuspensionReason.OVERDUE,
    Reason.DEATH_REPORT: Pensioner.SuspensionReason.DEATH_REPORT,
    Reason.CASE: Pensioner.SuspensionReason.CASE,
    Reason.OTHER: Pensioner.SuspensionReason.OTHER,
}


@dataclass(frozen=True)
class BenefitChange:
    """The person and their benefits as they are after the operation, and which ones changed."""

    pensioner: Pensioner
    benefits: list[Benefit]
    changed: list[Benefit] = field(default_factory=list)
    released: list[BenefitHold] = field(default_factory=list)

    @property
    def any_changed(self) -> bool:
        return bool(self.changed)


def _locked(pensioner: Pensioner | int) -> tuple[Pensioner, list[Benefit]]:
    pk = pensioner.pk if isinstance(pensioner, Pensioner) else pensioner
    person = Pensioner.objects.select_for_update().select_related("region").get(pk=pk)
    benefits = list(Benefit.objects.select_for_update().filter(pensioner_id=pk).order_by("pk"))
    return person, benefits


def _allowed(benefit: Benefit, to: str, operation: str) -> bool:
    return (benefit.status, to) in TRANSITIONS[operation]


def _set(benefit: Benefit, *, status: str, reason: str, since: datetime.date) -> None:
    benefit.status, benefit.status_reason, benefit.status_since = status, reason, since
    benefit.save(update_fields=["status", "status_reason", "status_since"])


def _summary(person: Pensioner, benefits: list[Benefit]) -> None:
    """The person's summary: paid if any benefit is paid; else on hold or suspended (saying why);
    else ended. Written only here, in the transaction of the change."""
    by_status: dict[str, list[Benefit]] = {}
    for benefit in benefits:
        by_status.setdefault(benefit.status, []).append(benefit)
    if not benefits:
        return
    if Status.ACTIVE in by_status:
        status, reason, since = (
            Pensioner.BenefitStatus.ACTIVE,
            "",
            min(b.status_since for b in by_status[Status.ACTIVE]),
        )
    elif Status.HELD in by_status or Status.SUSPENDED in by_status:
        stopped = by_status.get(Status.HELD) or by_status[Status.SUSPENDED]
        first = min(stopped, key=lambda b: (b.status_since, b.pk))
        status, reason, since = (
            Pensioner.BenefitStatus.SUSPENDED,
            _SUMMARY_REASON.get(first.status_reason, "other"),
            first.status_since,
        )
    else:
        status, reason = Pensioner.BenefitStatus.TERMINATED, ""
        since = max(b.status_since for b in benefits)
    if (person.benefit_status, person.suspension_reason, person.status_since) != (status, reason, since):
        person.benefit_status, person.suspension_reason, person.status_since = status, reason, since
        person.save(update_fields=["benefit_status", "suspension_reason", "status_since"])


def _audit(
    *,
    action: str,
    person: Pensioner,
    changed: list[Benefit],
    actor: User | None,
    request: HttpRequest | None,
    details: dict[str, Any] | None = None,
) -> None:
    audit_record(
        actor=actor,
        action=action,
        target=person,
        details={"benefits": [b.pk for b in changed], "kinds": [b.kind for b in changed], **(details or {})},
        request=request,
    )


def benefit_state_for_summary(status: str, reason: str, *, deceased: bool) -> tuple[str, str]:
    """The benefit status and reason that match a person's summary (registry loads, demo, tests):
    the inverse of ``_summary`` for a person with one benefit."""
    if status == Pensioner.BenefitStatus.ACTIVE:
        return Status.ACTIVE, ""
    if status == Pensioner.BenefitStatus.TERMINATED:
        return Status.TERMINATED, Reason.DEATH if deceased else Reason.OTHER
    if reason == Pensioner.SuspensionReason.DEATH_REPORT:
        return Status.HELD, Reason.DEATH_REPORT
    return Status.SUSPENDED, reason or Reason.OTHER


def benefit_has_ended(pensioner: Pensioner) -> bool:
    """Every benefit of the person has ended: nothing to hold, suspend, report or certify."""
    return pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED


def benefit_ended_guard(pensioner: Pensioner) -> None:
    """409 ``benefit_ended`` when every benefit of the person has ended."""
    if benefit_has_ended(pensioner):
        raise _ended_error()


def _all_ended(benefits: list[Benefit]) -> bool:
    return not benefits or all(b.status == Status.TERMINATED for b in benefits)


def _ended_error() -> ConflictError:
    return ConflictError(_("This benefit has already ended."), code="benefit_ended")


@transaction.atomic
def benefit_grant(
    *,
    pensioner: Pensioner,
    kind: str,
    monthly_amount: Decimal,
    start_date: datetime.date,
    paying_office: Region | None = None,
    requires_certification: bool = True,
    actor: User | None = None,
) -> BenefitChange:
    """A person starts receiving one more benefit (one of each kind)."""
    person, benefits = _locked(pensioner)
    if person.deceased_on is not None:
        raise _ended_error()
    benefit = Benefit.objects.create(
        pensioner=person,
        kind=kind,
        monthly_amount=monthly_amount,
        start_date=start_date,
        status_since=start_date,
        paying_office=paying_office,
        requires_certification=requires_certification,
    )
    benefits.append(benefit)
    _summary(person, benefits)
    _audit(action="benefit.grant", person=person, changed=[benefit], actor=actor, request=None)
    return BenefitChange(pensioner=person, benefits=benefits, changed=[benefit])


@transaction.atomic
def benefits_hold(
    *,
    pensioner: Pensioner | int,
    cause: str,
    reason: str = Reason.DEATH_REPORT,
    actor: User | None,
    request: HttpRequest | None = None,
) -> BenefitChange:
    """Hold every payment at once while ``cause`` (``case:<id>``) is verified, remembering what
    each benefit was so releasing the hold restores it. Idempotent per cause."""
    person, benefits = _locked(pensioner)
    if _all_ended(benefits):
        raise _ended_error()
    if BenefitHold.objects.filter(benefit__pensioner=person, cause=cause).exists():
        return BenefitChange(pensioner=person, benefits=benefits)
    today = timezone.localdate()
    changed = []
    for benefit in benefits:
        if not _allowed(benefit, Status.HELD, "hold"):
            continue
        BenefitHold.objects.create(
            benefit=benefit,
            cause=cause,
            reason=reason,
            previous_status=benefit.status,
            previous_reason=benefit.status_reason,
            previous_since=benefit.status_since,
            held_on=today,
        )
        _set(benefit, status=Status.HELD, reason=reason, since=today)
        changed.append(benefit)
    _summary(person, benefits)
    _audit(
        action="pensioner.hold",
        person=person,
        changed=changed,
        actor=actor,
        request=request,
        details={"cause": cause, "reason": reason},
    )
    return BenefitChange(pensioner=person, benefits=benefits, changed=changed)


def hold_started_on(*, pensioner: Pensioner | int, cause: str) -> datetime.date | None:
    """When ``cause`` put the person's payments on hold (None if it never did)."""
    pk = pensioner.pk if isinstance(pensioner, Pensioner) else pensioner
    hold = BenefitHold.objects.filter(benefit__pensioner_id=pk, cause=cause).order_by("held_on").first()
    return hold.held_on if hold else None


@transaction.atomic
def benefits_hold_release(
    *, pensioner: Pensioner | int, cause: str, actor: User | None, request: HttpRequest | None = None
) -> BenefitChange:
    """The report was wrong: every benefit ``cause`` held goes back to what it was. A benefit that
    another decision has changed since stays as that decision left it."""
    person, benefits = _locked(pensioner)
    by_pk = {b.pk: b for b in benefits}
    changed, released = [], []
    for hold in BenefitHold.objects.filter(benefit__pensioner=person, cause=cause, released_on__isnull=True):
        benefit = by_pk[hold.benefit_id]
        hold.released_on = timezone.localdate()
        hold.save(update_fields=["released_on"])
        released.append(hold)
        if benefit.status != Status.HELD or benefit.status_reason != hold.reason:
            continue
        if not _allowed(benefit, hold.previous_status, "release"):
            continue
        if hold.previous_status == Status.ACTIVE:
            _set(benefit, status=Status.ACTIVE, reason="", since=timezone.localdate())
        else:
            _set(benefit, status=hold.previous_status, reason=hold.previous_reason, since=hold.previous_since)
        changed.append(benefit)
    _summary(person, benefits)
    if changed:
        _audit(
            action="pensioner.hold_lift",
            person=person,
            changed=changed,
            actor=actor,
            request=request,
            details={"cause": cause},
        )
    return BenefitChange(pensioner=person, benefits=benefits, changed=changed, released=released)


@transaction.atomic
def benefits_suspend(
    *,
    pensioner: Pensioner | int,
    reason: str,
    actor: User | None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
    certification_bound_only: bool = False,
) -> BenefitChange:
    """Stop payment (the one suspension service: back-office decisions and the overdue schedule).
    With ``certification_bound_only`` only benefits that require certification stop. Ended
    benefits stay ended; the result says whether anything changed now."""
    person, benefits = _locked(pensioner)
    today = timezone.localdate()
    changed = []
    for benefit in benefits:
        if certification_bound_only and not benefit.requires_certification:
            continue
        if benefit.status == Status.SUSPENDED and benefit.status_reason == reason:
            continue
        if _allowed(benefit, Status.SUSPENDED, "suspend"):
            _set(benefit, status=Status.SUSPENDED, reason=reason, since=today)
            changed.append(benefit)
    _summary(person, benefits)
    if changed:
        _audit(
            action="pensioner.suspend",
            person=person,
            changed=changed,
            actor=actor,
            request=request,
            details={"reason": reason, **(details or {})},
        )
    return BenefitChange(pensioner=person, benefits=benefits, changed=changed)


@transaction.atomic
def benefits_resume(
    *,
    pensioner: Pensioner | int,
    actor: User | None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> BenefitChange:
    """Payment restored after review: every suspended benefit is paid again."""
    person, benefits = _locked(pensioner)
    today = timezone.localdate()
    changed = []
    for benefit in benefits:
        if _allowed(benefit, Status.ACTIVE, "resume"):
            _set(benefit, status=Status.ACTIVE, reason="", since=today)
            changed.append(benefit)
    _summary(person, benefits)
    if changed:
        _audit(action="pensioner.resume", person=person, changed=changed, actor=actor, request=request, details=details)
    return BenefitChange(pensioner=person, benefits=benefits, changed=changed)


@transaction.atomic
def benefits_terminate(
    *,
    pensioner: Pensioner | int,
    actor: User | None,
    terminated_from: datetime.date,
    deceased_on: datetime.date | None = None,
    reason: str = Reason.DEATH,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> BenefitChange:
    """Every benefit ends (a confirmed death ends them all), from ``terminated_from``."""
    person, benefits = _locked(pensioner)
    if _all_ended(benefits):
        raise _ended_error()
    changed = []
    for benefit in benefits:
        if _allowed(benefit, Status.TERMINATED, "terminate"):
            _set(benefit, status=Status.TERMINATED, reason=reason, since=terminated_from)
            changed.append(benefit)
    _summary(person, benefits)  # first: a person recorded dead must not still be paid (database check)
    if deceased_on is not None:
        person.deceased_on = deceased_on
        person.save(update_fields=["deceased_on"])
    _audit(action="pensioner.terminate", person=person, changed=changed, actor=actor, request=request, details=details)
    return BenefitChange(pensioner=person, benefits=benefits, changed=changed)


def benefits_backfill(*, kind: str, monthly_amount: Decimal, start_date: datetime.date) -> int:
    """Give every person without a benefit one of ``kind``, matching their summary status, in one
    set-based statement (bulk registry loads and benchmarks: millions of rows in seconds)."""
    from django.db import connection

    sql = """
        INSERT INTO selfservice_benefit
            (pensioner_id, kind, paying_office_id, status, status_since, status_reason, requires_certification,
             monthly_amount, start_date, created_at)
        SELECT p.id, %s, NULL,
               CASE WHEN p.benefit_status = 'suspended' AND p.suspension_reason = 'death_report' THEN 'held'
                    ELSE p.benefit_status END,
               p.status_since,
               CASE WHEN p.benefit_status = 'active' THEN ''
                    WHEN p.benefit_status = 'terminated' AND p.deceased_on IS NOT NULL THEN 'death'
                    WHEN p.suspension_reason = '' THEN 'other'
                    ELSE p.suspension_reason END,
               TRUE, %s, %s, CURRENT_TIMESTAMP
          FROM accounts_pensioner p
         WHERE NOT EXISTS (SELECT 1 FROM selfservice_benefit b WHERE b.pensioner_id = p.id)
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind, monthly_amount, start_date])
        return cursor.rowcount
