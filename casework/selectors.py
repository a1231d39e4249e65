"""Reads for casework: every list goes through the actor's scope."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Pensioner, Region, RelativeLink, User
from accounts.roles import STAFF_ROLES, Role
from accounts.selectors import region_subtree_q, user_roles
from backend.api.errors import NotFoundError
from casework.models import Case, DeathReport, EvidenceFile, MonthlyReport, Overpayment, PaymentLedger
from casework.services import (
    case_review_guard,
    case_step_guard,
    month_add,
    month_start,
    monthly_report_due_on,
    staff_in_scope,
)

# --- Cases ---------------------------------------------------------------------------------


def cases_in_scope(*, actor: User) -> QuerySet[Case]:
    """Cases of pensioners in the staff member's region subtree; nothing for non-staff."""
    if not (user_roles(actor) & STAFF_ROLES):
        return Case.objects.none()
    queryset = Case.objects.select_related("pensioner__region", "assignee", "accepted_by", "decided_by")
    if actor.is_superuser:
        return queryset
    if actor.region_id is None:
        return Case.objects.none()
    return queryset.filter(region_subtree_q(actor.region, field="pensioner__region"))  # type: ignore[arg-type]


def case_list(
    *,
    actor: User,
    category: str | None = None,
    status: str | None = None,
    region_code: str | None = None,
    deadline_before: datetime.date | None = None,
    assigned_to_me: bool = False,
    pensioner_id: int | None = None,
) -> QuerySet[Case]:
    queryset = cases_in_scope(actor=actor)
    if category:
        queryset = queryset.filter(category=category)
    if status:
        queryset = queryset.filter(status=status)
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            return queryset.none()
        queryset = queryset.filter(region_subtree_q(region, field="pensioner__region"))
    if deadline_before:
        queryset = queryset.filter(deadline__lte=deadline_before)
    if assigned_to_me:
        queryset = queryset.filter(assignee=actor)
    if pensioner_id:
        queryset = queryset.filter(pensioner_id=pensioner_id)
    return queryset.order_by("deadline", "created_at", "id")


def case_available_actions(*, actor: User, case: Case) -> list[str]:
    """The steps ``actor`` may take on ``case`` now, by the same guards the services apply."""
    from backend.api.errors import ApplicationError

    checks = {
        "assign": (
            lambda: case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}),
            {Case.Status.OPEN},
        ),
        "accept": (
            lambda: case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER}, allow_assignee=True),
            {Case.Status.OPEN},
        ),
        "approve": (lambda: case_review_guard(case=case, actor=actor, action="approve"), {Case.Status.ACCEPTED}),
        "reject": (lambda: case_review_guard(case=case, actor=actor, action="reject"), {Case.Status.ACCEPTED}),
        "close": (
            lambda: case_step_guard(
                case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}, allow_assignee=True
            ),
            {Case.Status.APPROVED, Case.Status.REJECTED},
        ),
    }
    allowed = []
    for action, (guard, statuses) in checks.items():
        if case.status not in statuses:
            continue
        try:
            guard()
        except ApplicationError:
            continue
        allowed.append(action)
    return allowed


def case_get_for_actor(*, actor: User, case_id: int) -> Case:
    case = cases_in_scope(actor=actor).filter(pk=case_id).first()
    if case is None:
        raise NotFoundError()
    return case


# --- Evidence ------------------------------------------------------------------------------


def evidence_get_for_actor(*, actor: User, evidence_id: int) -> EvidenceFile:
    """The uploader, or staff for whom a case the file is attached to is in scope."""
    evidence = EvidenceFile.objects.filter(pk=evidence_id).first()
    if evidence is None:
        raise NotFoundError()
    if evidence.uploaded_by_id == actor.pk:
        return evidence
    if user_roles(actor) & STAFF_ROLES:
        for case in evidence.cases.select_related("pensioner__region"):
            if staff_in_scope(actor=actor, pensioner=case.pensioner):
                return evidence
    raise NotFoundError()


# --- Death reports -------------------------------------------------------------------------


def death_reports_of(*, reporter: User) -> QuerySet[DeathReport]:
    return DeathReport.objects.filter(reporter=reporter).select_related("pensioner", "case").order_by("-created_at")


def death_report_get_for_actor(*, actor: User, report_id: int) -> DeathReport:
    report = DeathReport.objects.select_related("pensioner__region", "case").filter(pk=report_id).first()
    if report is None:
        raise NotFoundError()
    if report.reporter_id == actor.pk or staff_in_scope(actor=actor, pensioner=report.pensioner):
        return report
    raise NotFoundError()


# --- Village assistants ------------------------------------------------------------------

_ID_DIGITS = re.compile(r"^[0-9]{0,17}[0-9Xx]$")


def assistant_pensioners(
    *, actor: User, search: str = "", village_id: int | None = None, include_ended: bool = False
) -> QuerySet[Pensioner]:
    """Pensioners of my assigned villages; ``search`` is a name fragment or the last ID digits."""
    if Role.VILLAGE_ASSISTANT not in user_roles(actor):
        return Pensioner.objects.none()
    queryset = Pensioner.objects.filter(region__village_assignments__user=actor).select_related("region")
    if village_id is not None:
        queryset = queryset.filter(region_id=village_id)
    if not include_ended:
        queryset = queryset.exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
    search = search.strip()
    if search:
        if _ID_DIGITS.match(search):
            queryset = queryset.filter(id_number__endswith=search.upper())
        else:
            queryset = queryset.filter(name__contains=search)
    return queryset.order_by("region__code", "name", "pk")


class ReportState(StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"  # due date passed, nothing filed
    NOT_DUE = "not_due"  # nothing filed yet, still time


@dataclass(frozen=True)
class VillageReportStatus:
    village: Region
    period: datetime.date
    due_on: datetime.date
    state: ReportState
    report: MonthlyReport | None


def reporting_period_now(today: datetime.date | None = None) -> datetime.date:
    """The month whose report is being collected now: last month."""
    return month_add(today or timezone.localdate(), -1)


def _status_for(
    village: Region, period: datetime.date, report: MonthlyReport | None, today: datetime.date
) -> VillageReportStatus:
    due_on = monthly_report_due_on(period)
    if report is not None:
        state = ReportState.LATE if report.is_late else ReportState.ON_TIME
    else:
        state = ReportState.MISSING if today > due_on else ReportState.NOT_DUE
    return VillageReportStatus(village=village, period=period, due_on=due_on, state=state, report=report)


def monthly_report_status(
    *, villages: QuerySet[Region], period: datetime.date, today: datetime.date | None = None
) -> list[VillageReportStatus]:
    """Per village: filed on time, filed late, missing, or not yet due (two queries in all)."""
    today = today or timezone.localdate()
    period = month_start(period)
    villages = list(villages.filter(level=Region.Level.VILLAGE).order_by("code"))  # type: ignore[assignment]
    current = {
        report.village_id: report
        for report in MonthlyReport.objects.filter(
            village_id__in=[v.pk for v in villages], period=period, is_current=True
        )
    }
    return [_status_for(village, period, current.get(village.pk), today) for village in villages]


def villages_in_staff_scope(*, actor: User, region_code: str | None = None) -> QuerySet[Region]:
    """Villages under the staff member's region (or a sub-region of it); 404 outside."""
    if not (user_roles(actor) & STAFF_ROLES):
        raise NotFoundError()
    root = actor.region if not actor.is_superuser else None
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None or (root is not None and not region.code.startswith(root.prefix)):
            raise NotFoundError()
        root = region
    elif root is None and not actor.is_superuser:
        raise NotFoundError()
    queryset = Region.objects.filter(level=Region.Level.VILLAGE)
    if root is not None:
        queryset = queryset.filter(code__startswith=root.prefix)
    return queryset


def assistant_villages(*, actor: User) -> QuerySet[Region]:
    if Role.VILLAGE_ASSISTANT not in user_roles(actor):
        return Region.objects.none()
    return Region.objects.filter(village_assignments__user=actor).order_by("code")


def monthly_reports_for_actor(
    *, actor: User, village_id: int | None = None, period: datetime.date | None = None, current_only: bool = False
) -> QuerySet[MonthlyReport]:
    """Assistants: reports of their villages (every version); staff: reports in their subtree."""
    roles = user_roles(actor)
    scope = Q(pk__in=[])
    if Role.VILLAGE_ASSISTANT in roles:
        scope |= Q(village__village_assignments__user=actor)
    if roles & STAFF_ROLES:
        if actor.is_superuser:
            scope = Q()
        elif actor.region_id is not None:
            scope |= region_subtree_q(actor.region, field="village")  # type: ignore[arg-type]
    queryset = MonthlyReport.objects.filter(pk__in=MonthlyReport.objects.filter(scope).values("pk")).select_related(
        "village", "submitted_by"
    )
    if village_id is not None:
        queryset = queryset.filter(village_id=village_id)
    if period is not None:
        queryset = queryset.filter(period=month_start(period))
    if current_only:
        queryset = queryset.filter(is_current=True)
    return queryset.order_by("-period", "village__code", "-version")


def monthly_report_get_for_actor(*, actor: User, report_id: int) -> MonthlyReport:
    report = monthly_reports_for_actor(actor=actor).filter(pk=report_id).first()
    if report is None:
        raise NotFoundError()
    return report


# --- Money ---------------------------------------------------------------------------------


def pensioner_for_money(*, actor: User, pensioner_id: int) -> Pensioner:
    """Payments are shown to the pensioner, approved relatives and staff in scope (not to the
    village assistant, whose job is reporting, not money)."""
    pensioner = Pensioner.objects.select_related("region").filter(pk=pensioner_id).first()
    if pensioner is None:
        raise NotFoundError()
    if pensioner.user_id == actor.pk or staff_in_scope(actor=actor, pensioner=pensioner):
        return pensioner
    if RelativeLink.objects.filter(relative=actor, pensioner=pensioner, status=RelativeLink.Status.APPROVED).exists():
        return pensioner
    raise NotFoundError()


def ledger_for_pensioner(*, pensioner: Pensioner) -> QuerySet[PaymentLedger]:
    return PaymentLedger.objects.filter(pensioner=pensioner).order_by("-period", "kind")


@dataclass(frozen=True)
class LedgerSummary:
    last_paid_period: datetime.date | None
    last_paid_on: datetime.date | None
    last_paid_amount: Decimal | None
    held_months: int
    held_amount: Decimal
    overpaid_outstanding: Decimal


def ledger_summary(*, pensioner: Pensioner) -> LedgerSummary:
    """One-glance money answer (for the app and the chatbot): last payment, held, owed back."""
    last = (
        PaymentLedger.objects.filter(pensioner=pensioner, status=PaymentLedger.Status.PAID)
        .order_by("-paid_on", "-period")
        .first()
    )
    back_paid = PaymentLedger.objects.filter(pensioner=pensioner, kind=PaymentLedger.Kind.BACK_PAY).values("period")
    held = (
        PaymentLedger.objects.filter(
            pensioner=pensioner, kind=PaymentLedger.Kind.REGULAR, status=PaymentLedger.Status.HELD
        )
        .exclude(period__in=back_paid)
        .aggregate(total=Sum("amount"), months=Count("id"))
    )
    overpayments = Overpayment.objects.filter(pensioner=pensioner).aggregate(
        amount=Sum("amount"), recovered=Sum("recovered_amount")
    )
    return LedgerSummary(
        last_paid_period=last.period if last else None,
        last_paid_on=last.paid_on if last else None,
        last_paid_amount=last.amount if last else None,
        held_months=held["months"] or 0,
        held_amount=held["total"] or Decimal("0.00"),
        overpaid_outstanding=(overpayments["amount"] or Decimal("0")) - (overpayments["recovered"] or Decimal("0")),
    )


def overpayments_in_scope(*, actor: User) -> QuerySet[Overpayment]:
    if not (user_roles(actor) & STAFF_ROLES):
        return Overpayment.objects.none()
    queryset = Overpayment.objects.select_related("pensioner__region", "case")
    if actor.is_superuser:
        return queryset
    if actor.region_id is None:
        return Overpayment.objects.none()
    return queryset.filter(region_subtree_q(actor.region, field="pensioner__region"))  # type: ignore[arg-type]
