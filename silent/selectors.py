"""Silent certification reads: the safety net's list and one person's evidence, for staff in scope."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Pensioner, User
from accounts.selectors import Capability, pensioner_get_for_actor, pensioners_in_scope, user_is_staff_member
from backend.api.errors import ForbiddenError
from silent.models import Decision, EvidenceEvent, RoundReport, SurvivalGrade


def staff_guard(actor: User) -> None:
    if not user_is_staff_member(actor):
        raise ForbiddenError()


def safety_net_list(*, actor: User, within_days: int | None = None, today: datetime.date | None = None):
    """People due within ``within_days`` (60 by default) whose survival grade is medium or low, or
    who were never graded: the silent round will not certify them, so the safety net (a visit or a
    remote face check) must reach them before the due date. Soonest due first."""
    today = today or timezone.localdate()
    within_days = settings.SILENT_SAFETY_NET_DAYS if within_days is None else within_days
    return (
        pensioners_in_scope(actor=actor, capability=Capability.CASEWORK)
        .exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
        .filter(next_due__lte=today + datetime.timedelta(days=within_days))
        .filter(
            Q(survival_grade__isnull=True)
            | Q(survival_grade__grade__in=[SurvivalGrade.Grade.MEDIUM, SurvivalGrade.Grade.LOW])
        )
        .select_related("region", "survival_grade")
        .order_by("next_due", "pk")
    )


def pensioner_evidence(*, actor: User, pensioner_id: int) -> dict[str, object]:
    """One person's grade, latest evidence and the round's decisions about them ("which data said so")."""
    pensioner = pensioner_get_for_actor(actor=actor, pensioner_id=pensioner_id, capability=Capability.CASEWORK)
    return {
        "pensioner": pensioner,
        "grade": SurvivalGrade.objects.filter(pensioner=pensioner).first(),
        "events": EvidenceEvent.objects.filter(pensioner=pensioner)
        .select_related("source")
        .order_by("-event_date", "-pk")[:50],
        "decisions": Decision.objects.filter(pensioner=pensioner)
        .select_related("trigger__source")
        .order_by("-created_at", "-pk")[:50],
    }


def round_reports() -> QuerySet[RoundReport]:
    return RoundReport.objects.order_by("-started_at", "-pk")


def low_grade_due(today: datetime.date) -> QuerySet[Pensioner, int]:
    """Registered with casework's visit queue and suspect lists (``low_grade``): people whose survival
    grade is medium or low and who are due within ``CASEWORK_VISIT_LOW_GRADE_HORIZON_DAYS``. The round
    will not certify them, so someone must visit before payment stops."""
    return (
        Pensioner.objects.exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
        .filter(
            next_due__lte=today + datetime.timedelta(days=settings.CASEWORK_VISIT_LOW_GRADE_HORIZON_DAYS),
            survival_grade__grade__in=[SurvivalGrade.Grade.MEDIUM, SurvivalGrade.Grade.LOW],
        )
        .values_list("pk", flat=True)
    )
