"""Reads of the safety net: proofs of life, the visit queue, suspect lists, and casework's own visit
triggers (who needs a visit today). Every list goes through the actor's scope (``accounts.selectors``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.models import Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.roles import Role
from accounts.selectors import Capability, region_scope_q, scope_q, scoped
from backend.api.errors import NotFoundError
from casework.models import OPEN_STATUSES, Case, ProofOfLife, SuspectList, SuspectListEntry, VisitTask
from notifications import texts
from notifications.models import SmsOutbox


def _or(*filters: Q) -> Q:
    if any(not f for f in filters):
        return Q()
    combined = Q(pk__in=[])
    for f in filters:
        combined |= f
    return combined


# --- Proofs of life ------------------------------------------------------------------------------


def proof_get_for_actor(*, actor: User, proof_id: int) -> ProofOfLife:
    """The recorder, or staff who may do casework for the person."""
    scope, _many = scope_q(actor=actor, capability=Capability.CASEWORK, path="pensioner")
    proof = (
        ProofOfLife.objects.select_related("pensioner__region", "case")
        .filter(_or(Q(recorded_by=actor), scope), pk=proof_id)
        .first()
    )
    if proof is None:
        raise NotFoundError()
    return proof


# --- The visit queue -----------------------------------------------------------------------------


def visit_tasks_for_actor(
    *,
    actor: User,
    status: str | None = VisitTask.Status.OPEN,
    reason: str | None = None,
    region_code: str | None = None,
    assignee_id: int | None = None,
    unassigned: bool = False,
    overdue_on: datetime.date | None = None,
) -> QuerySet[VisitTask]:
    """Assistants and grid workers: the tasks of their villages; staff: every task in their area.
    Most urgent first (priority, then due date, then the longest overdue person)."""
    queryset = scoped(
        VisitTask.objects.select_related("pensioner__region", "assignee"),
        actor=actor,
        capability=Capability.RECORD_VISIT,
        path="pensioner",
    )
    if status:
        queryset = queryset.filter(status=status)
    if reason:
        queryset = queryset.filter(reason=reason)
    if region_code:
        region = Region.objects.filter(code=region_code).first()
        if region is None:
            return queryset.none()
        queryset = queryset.filter(pensioner__region__code__startswith=region.prefix)
    if assignee_id:
        queryset = queryset.filter(assignee_id=assignee_id)
    if unassigned:
        queryset = queryset.filter(assignee__isnull=True)
    if overdue_on:
        queryset = queryset.filter(status=VisitTask.Status.OPEN, due_on__lt=overdue_on)
    return queryset.order_by("priority", "due_on", "pensioner__next_due", "id")


def visit_task_get_for_actor(*, actor: User, task_id: int) -> VisitTask:
    task = visit_tasks_for_actor(actor=actor, status=None).filter(pk=task_id).first()
    if task is None:
        raise NotFoundError()
    return task


def village_visitors(*, village_ids: Iterable[int]) -> dict[int, int]:
    """Who visits in each village: its grid worker if it has one, else its village assistant (the
    lowest user id of either, so the choice is stable)."""
    ranked: dict[int, tuple[int, int]] = {}
    rows = VillageAssignment.objects.filter(
        village_id__in=list(village_ids),
        user__is_active=True,
        user__groups__name__in=[Role.GRID_WORKER, Role.VILLAGE_ASSISTANT],
    ).values_list("village_id", "user_id", "user__groups__name")
    for village_id, user_id, role in rows:
        rank = (0 if role == Role.GRID_WORKER else 1, user_id)
        if village_id not in ranked or rank < ranked[village_id]:
            ranked[village_id] = rank
    return {village_id: rank[1] for village_id, rank in ranked.items()}


# --- casework's own visit triggers (registered in CaseworkConfig.ready) -----------------------------


def _alive_and_paid() -> QuerySet[Pensioner]:
    """Not ended, not held on a death report (a case is already on it)."""
    return Pensioner.objects.exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED).exclude(
        suspension_reason=Pensioner.SuspensionReason.DEATH_REPORT
    )


def overdue_beyond(today: datetime.date) -> QuerySet:
    cutoff = today - datetime.timedelta(days=settings.CASEWORK_VISIT_OVERDUE_DAYS)
    return _alive_and_paid().filter(next_due__lt=cutoff, deceased_on__isnull=True).values_list("pk", flat=True)


def without_contact(today: datetime.date) -> QuerySet:
    """No phone and no approved relative with a phone, certification due soon: no SMS reaches them."""
    horizon = today + datetime.timedelta(days=settings.CASEWORK_VISIT_NO_CONTACT_HORIZON_DAYS)
    relative_with_phone = RelativeLink.objects.filter(
        pensioner=OuterRef("pk"), status=RelativeLink.Status.APPROVED, relative__phone__isnull=False
    )
    return (
        _alive_and_paid()
        .filter(phone__isnull=True, next_due__lte=horizon, deceased_on__isnull=True)
        .exclude(Exists(relative_with_phone))
        .values_list("pk", flat=True)
    )


REACHED = (SmsOutbox.Status.SENT, SmsOutbox.Status.DELIVERED)


def suspended_unreached(today: datetime.date) -> QuerySet:
    """Suspended for an overdue certification for three days or more, and no suspension notice was
    sent or delivered to them or a relative."""
    reached = SmsOutbox.objects.filter(
        pensioner_id_ref=OuterRef("pk"),
        template__in=[texts.SUSPENDED, texts.SUSPENDED_RELATIVE],
        status__in=REACHED,
    )
    return (
        Pensioner.objects.filter(
            benefit_status=Pensioner.BenefitStatus.SUSPENDED,
            suspension_reason=Pensioner.SuspensionReason.OVERDUE,
            status_since__lte=today - datetime.timedelta(days=3),
            deceased_on__isnull=True,
        )
        .exclude(Exists(reached))
        .values_list("pk", flat=True)
    )


# --- Suspect lists ---------------------------------------------------------------------------------


def suspected_deaths_from_data(today: datetime.date) -> QuerySet:
    """Open suspected-death cases that came from data comparison (not from a person who saw it)."""
    return (
        Case.objects.filter(
            category=Case.Category.SUSPECTED_DEATH, source=Case.Source.DATA_COMPARISON, status__in=OPEN_STATUSES
        )
        .values_list("pensioner_id", flat=True)
        .distinct()
    )


def overdue_now(today: datetime.date) -> QuerySet:
    return _alive_and_paid().filter(next_due__lt=today, deceased_on__isnull=True).values_list("pk", flat=True)


def suspect_lists_for_actor(*, actor: User, period: datetime.date | None = None) -> QuerySet[SuspectList]:
    """Assistants: the lists of their villages; staff: the lists in their area."""
    scope = _or(
        region_scope_q(actor=actor, capability=Capability.VILLAGE_REPORT, path="village"),
        region_scope_q(actor=actor, capability=Capability.CASEWORK, path="village"),
    )
    queryset = SuspectList.objects.filter(pk__in=SuspectList.objects.filter(scope).values("pk")).select_related(
        "village"
    )
    if period:
        queryset = queryset.filter(period=period.replace(day=1))
    return queryset.order_by("-period", "village__code")


def suspect_list_get_for_actor(*, actor: User, list_id: int) -> SuspectList:
    suspect_list = suspect_lists_for_actor(actor=actor).filter(pk=list_id).first()
    if suspect_list is None:
        raise NotFoundError()
    return suspect_list


def suspect_entries(*, suspect_list: SuspectList) -> QuerySet[SuspectListEntry]:
    # By village, then in the order entries were listed (names are encrypted: the database cannot sort them).
    return suspect_list.entries.select_related("pensioner__region").order_by("pensioner__region__code", "id")
