"""Reads for casework: every list goes through the actor's scope."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import Pensioner, Region, User
from accounts.roles import Role
from accounts.selectors import (
    Capability,
    pensioner_get_for_actor,
    region_scope_q,
    region_subtree_q,
    scope_q,
    scoped,
    user_is_staff_member,
)
from backend.api.errors import NotFoundError
from casework.models import Case, DeathReport, EvidenceFile, MonthlyReport, Overpayment, PayeeAccount, PaymentLedger
from casework.rules import (
    MONEY,
    case_review_guard,
    case_step_guard,
    month_add,
    month_start,
    monthly_report_due_on,
    months_from,
)
from selfservice.selectors import monthly_total_of


def _any_of(*filters: Q) -> Q:
    """OR of scope filters, where an empty ``Q()`` means every row (``Q(x) | Q()`` would drop it)."""
    if any(not f for f in filters):
        return Q()
    combined = Q(pk__in=[])
    for f in filters:
        combined |= f
    return combined


# --- Cases ---------------------------------------------------------------------------------


def cases_in_scope(*, actor: User) -> QuerySet[Case]:
    """Cases of pensioners the actor may do casework for (staff: their region subtree)."""
    queryset = Case.objects.select_related("pensioner__region", "assignee", "accepted_by", "decided_by")
    return scoped(queryset, actor=actor, capability=Capability.CASEWORK, path="pensioner")


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


def evidence_in_scope(*, actor: User) -> QuerySet[EvidenceFile]:
    """Files attached to a case the actor may do casework for (each file once)."""
    scope, _joins_many = scope_q(actor=actor, capability=Capability.CASEWORK, path="cases__pensioner")
    # The path itself goes through a to-many relation (a file may back several cases).
    return EvidenceFile.objects.filter(pk__in=EvidenceFile.objects.filter(scope).values("pk"))


def evidence_get_for_actor(*, actor: User, evidence_id: int) -> EvidenceFile:
    """The uploader, or staff for whom a case the file is attached to is in scope."""
    evidence = (
        EvidenceFile.objects.filter(pk=evidence_id)
        .filter(Q(uploaded_by=actor) | Q(pk__in=evidence_in_scope(actor=actor).values("pk")))
        .first()
    )
    if evidence is None:
        raise NotFoundError()
    return evidence


# --- Death reports -------------------------------------------------------------------------


def death_reports_of(*, reporter: User) -> QuerySet[DeathReport]:
    return DeathReport.objects.filter(reporter=reporter).select_related("pensioner", "case").order_by("-created_at")


def death_report_get_for_actor(*, actor: User, report_id: int) -> DeathReport:
    """The reporter, or staff for whom the pensioner is in scope."""
    scope, _joins_many = scope_q(actor=actor, capability=Capability.CASEWORK, path="pensioner")
    report = (
        DeathReport.objects.select_related("pensioner__region", "case")
        .filter(_any_of(Q(reporter=actor), scope), pk=report_id)
        .first()
    )
    if report is None:
        raise NotFoundError()
    return report


# --- Village assistants ------------------------------------------------------------------

_ID_DIGITS = re.compile(r"^[0-9]{0,17}[0-9Xx]$")


def assistant_pensioners(
    *, actor: User, search: str = "", village_id: int | None = None, include_ended: bool = False
) -> QuerySet[Pensioner]:
    """Pensioners of my assigned villages; ``search`` is a name fragment or the last ID digits."""
    queryset = scoped(Pensioner.objects.select_related("region"), actor=actor, capability=Capability.VILLAGE_REPORT)
    if village_id is not None:
        queryset = queryset.filter(region_id=village_id)
    if not include_ended:
        queryset = queryset.exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
    search = search.strip()
    if search:
        # Names and ID numbers are encrypted: the fragment is matched on the decrypted values of this
        # assistant's own villages (a few hundred people), then the page is read by primary key.
        by_id = bool(_ID_DIGITS.match(search))
        needle = search.upper() if by_id else search
        rows = queryset.values_list("pk", "id_number" if by_id else "name")
        matched = [pk for pk, value in rows if (value.endswith(needle) if by_id else needle in value)]
        queryset = queryset.filter(pk__in=matched)
    # By village, then registry order (the database cannot sort encrypted names).
    return queryset.order_by("region__code", "pk")


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
    village_list = list(villages.filter(level=Region.Level.VILLAGE).order_by("code"))
    current = {
        report.village_id: report
        for report in MonthlyReport.objects.filter(
            village_id__in=[v.pk for v in village_list], period=period, is_current=True
        )
    }
    return [_status_for(village, period, current.get(village.pk), today) for village in village_list]


def villages_in_staff_scope(*, actor: User, region_code: str | None = None) -> QuerySet[Region]:
    """Villages under the staff member's region (or a sub-region of it); 404 outside."""
    if not user_is_staff_member(actor) or (actor.region_id is None and not actor.is_superuser):
        raise NotFoundError()
    in_scope = Region.objects.filter(region_scope_q(actor=actor, capability=Capability.CASEWORK))
    villages = in_scope.filter(level=Region.Level.VILLAGE)
    if region_code:
        region = in_scope.filter(code=region_code).first()
        if region is None:
            raise NotFoundError()
        villages = villages.filter(code__startswith=region.prefix)
    return villages


def assistant_villages(*, actor: User) -> QuerySet[Region]:
    return Region.objects.filter(region_scope_q(actor=actor, capability=Capability.VILLAGE_REPORT)).order_by("code")


def monthly_reports_for_actor(
    *, actor: User, village_id: int | None = None, period: datetime.date | None = None, current_only: bool = False
) -> QuerySet[MonthlyReport]:
    """Assistants: reports of their villages (every version); staff: reports in their subtree."""
    scope = _any_of(
        region_scope_q(actor=actor, capability=Capability.VILLAGE_REPORT, path="village"),
        region_scope_q(actor=actor, capability=Capability.CASEWORK, path="village"),
    )
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
    village assistant, whose job is reporting, not money): ``Capability.READ_MONEY``."""
    return pensioner_get_for_actor(actor=actor, pensioner_id=pensioner_id, capability=Capability.READ_MONEY)


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
    queryset = Overpayment.objects.select_related("pensioner__region", "case")
    return scoped(queryset, actor=actor, capability=Capability.CASEWORK, path="pensioner")


def held_periods_unpaid(*, pensioner: Pensioner, since: datetime.date) -> list[PaymentLedger]:
    """Regular payments held from ``since``'s month on that have no back payment yet."""
    back_paid = PaymentLedger.objects.filter(pensioner=pensioner, kind=PaymentLedger.Kind.BACK_PAY).values("period")
    return list(
        PaymentLedger.objects.filter(
            pensioner=pensioner,
            kind=PaymentLedger.Kind.REGULAR,
            status=PaymentLedger.Status.HELD,
            period__gte=month_start(since),
        )
        .exclude(period__in=back_paid)
        .order_by("period")
    )


def death_overpayment_figures(*, pensioner: Pensioner, date_of_death: datetime.date) -> dict[str, Any]:
    """What was paid for months after the month of death, and what was held up to it.

    The benefit is due up to and including the month of death (a death on the 1st or the 31st
    both count the whole month); everything paid for later months is overpaid.
    """
    terminate_from = month_add(date_of_death, 1)
    paid_after = PaymentLedger.objects.filter(
        pensioner=pensioner, status=PaymentLedger.Status.PAID, period__gte=terminate_from
    )
    periods = sorted(set(paid_after.values_list("period", flat=True)))
    overpaid = paid_after.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    held_due = held_periods_unpaid(pensioner=pensioner, since=datetime.date.min)
    arrears = sum((line.amount for line in held_due if line.period < terminate_from), Decimal("0.00"))
    return {
        "terminated_from": terminate_from,
        "overpaid_amount": overpaid.quantize(MONEY),
        "overpaid_periods": periods,
        "arrears_to_estate": arrears.quantize(MONEY),
    }


def resumption_checks(*, case: Case) -> dict[str, Any]:
    """What the reviewer must see before restoring payment: dates, amounts, bank account.

    Computed from the ledger and the payee account as they are now (the figures at approval are
    stored on the case).
    """
    pensioner = case.pensioner
    suspension = case.details.get("suspension", {})
    since = datetime.date.fromisoformat(suspension["since"]) if suspension.get("since") else pensioner.status_since
    held = held_periods_unpaid(pensioner=pensioner, since=since)
    total = sum((line.amount for line in held), Decimal("0.00"))
    last_paid = (
        PaymentLedger.objects.filter(
            pensioner=pensioner, status=PaymentLedger.Status.PAID, period__lt=month_start(since)
        )
        .order_by("-period", "-paid_on")
        .first()
    )
    account = PayeeAccount.objects.filter(pensioner=pensioner).first()
    on_file = account.last4 if account else ""
    changed_during = bool(account and timezone.localdate(account.changed_at) >= since)
    amounts = {line.amount for line in held}
    monthly_now = monthly_total_of(pensioner=pensioner)
    return {
        "suspended_since": since.isoformat(),
        "months_suspended": len(months_from(since, timezone.localdate())) - 1,
        "requires_city_review": case.requires_city_review,
        "back_pay": {
            "period_from": held[0].period.isoformat() if held else None,
            "period_to": held[-1].period.isoformat() if held else None,
            "months": len(held),
            "amount": str(total.quantize(MONEY)),
        },
        "amount": {
            "monthly_amount_now": str(monthly_now),
            "last_paid_amount": str(last_paid.amount) if last_paid else None,
            "consistent": amounts <= {monthly_now} and (last_paid is None or last_paid.amount == monthly_now),
        },
        "bank_account": {
            "on_file": f"****{on_file}" if on_file else None,
            "last_paid_to": f"****{last_paid.account_last4}" if last_paid and last_paid.account_last4 else None,
            "changed_during_suspension": changed_during,
            "consistent": bool(on_file)
            and not changed_during
            and (last_paid is None or not last_paid.account_last4 or last_paid.account_last4 == on_file),
        },
    }
