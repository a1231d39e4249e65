"""Rebuilding the dashboard's summary tables (the only writes the dashboard makes)."""

from __future__ import annotations

import datetime
import time
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Model, Q, QuerySet, Value
from django.db.models.functions import Coalesce, ExtractMonth, ExtractYear, TruncDate
from django.utils import timezone

from accounts.models import Pensioner
from casework.models import OPEN_STATUSES, Case
from dashboard.models import (
    CertificationMonthSummary,
    FaceAttemptSummary,
    LatestCertificationSummary,
    OpenCaseSummary,
    SummaryRefresh,
)
from facecheck.models import FaceAttempt
from selfservice.models import Certification


def _month(field: str) -> Any:
    """The local calendar month of a datetime as the integer ``YYYYMM`` (null stays null)."""
    return ExtractYear(field) * 100 + ExtractMonth(field)


def _latest_certifications(today: datetime.date) -> QuerySet[Any, Any]:
    status = Pensioner.BenefitStatus
    due_soon_until = today + datetime.timedelta(days=settings.CERTIFICATION_DUE_SOON_DAYS)
    return (
        Pensioner.objects.exclude(benefit_status=status.TERMINATED)
        .order_by()
        .annotate(
            s_region=F("region_id"),
            s_method=Coalesce("last_certification__method", Value("")),
            s_month=_month("last_certification__certified_at"),
        )
        .values("s_region", "benefit_status", "s_method", "s_month")
        .annotate(
            s_people=Count("pk"),
            s_due_soon=Count(
                "pk", filter=Q(benefit_status=status.ACTIVE, next_due__gte=today, next_due__lte=due_soon_until)
            ),
            s_overdue=Count("pk", filter=Q(benefit_status=status.ACTIVE, next_due__lt=today)),
        )
    )


def _certifications_by_month() -> QuerySet[Any, Any]:
    return (
        Certification.objects.order_by()
        .annotate(s_region=F("pensioner__region_id"), s_month=_month("certified_at"))
        .values("s_region", "s_month", "method")
        .annotate(s_count=Count("pk"))
    )


def _open_cases() -> QuerySet[Any, Any]:
    return (
        Case.objects.filter(status__in=OPEN_STATUSES)
        .order_by()
        .annotate(s_region=F("pensioner__region_id"), s_opened=TruncDate("created_at"))
        .values("s_region", "category", "s_opened", "deadline")
        .annotate(s_count=Count("pk"))
    )


def _face_attempts() -> QuerySet[Any, Any]:
    return (
        FaceAttempt.objects.order_by()
        .annotate(s_region=F("pensioner__region_id"), s_month=_month("created_at"))
        .values("s_region", "s_month", "result", "reason")
        .annotate(s_count=Count("pk"))
    )


def _rebuild(model: type[Model], grouped: QuerySet[Any, Any], columns: dict[str, str]) -> None:
    """Replace ``model``'s rows with ``grouped``'s, in one ``INSERT … SELECT`` (no row comes to
    Python). ``columns`` maps each table column to the grouped query's output column."""
    model._default_manager.all().delete()
    sql, params = grouped.query.sql_with_params()
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    targets = ", ".join(quote(column) for column in columns)
    sources = ", ".join(quote(source) for source in columns.values())
    with connection.cursor() as cursor:
        # Identifiers are quoted model metadata and the inner query is Django's own, with its params.
        insert = f"INSERT INTO {table} ({targets}) SELECT {sources} FROM ({sql}) AS grouped"  # noqa: S608
        cursor.execute(insert, params)


def summaries_refresh(*, now: datetime.datetime | None = None) -> SummaryRefresh:
    """Rebuild every summary table from the live tables, in one transaction (readers see the old
    figures until it commits), and record when. Concurrent refreshes queue on the one state row.

    Due soon and overdue are counted for ``now``'s local day; everything else is kept at a grain
    (month, day opened) from which any period the dashboard offers is summed exactly.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    started = time.perf_counter()
    # The state row exists before the lock is taken, so two first refreshes queue like later ones.
    SummaryRefresh.objects.get_or_create(pk=1, defaults={"refreshed_at": now, "today": today})
    with transaction.atomic():
        state = SummaryRefresh.objects.select_for_update().get(pk=1)
        _rebuild(
            LatestCertificationSummary,
            _latest_certifications(today),
            {
                "region_id": "s_region",
                "benefit_status": "benefit_status",
                "method": "s_method",
                "month": "s_month",
                "people": "s_people",
                "due_soon": "s_due_soon",
                "overdue": "s_overdue",
            },
        )
        _rebuild(
            CertificationMonthSummary,
            _certifications_by_month(),
            {"region_id": "s_region", "month": "s_month", "method": "method", "certifications": "s_count"},
        )
        _rebuild(
            OpenCaseSummary,
            _open_cases(),
            {
                "region_id": "s_region",
                "category": "category",
                "opened_on": "s_opened",
                "deadline": "deadline",
                "cases": "s_count",
            },
        )
        _rebuild(
            FaceAttemptSummary,
            _face_attempts(),
            {
                "region_id": "s_region",
                "month": "s_month",
                "result": "result",
                "reason": "reason",
                "attempts": "s_count",
            },
        )
        state.refreshed_at, state.today = now, today
        state.seconds = round(time.perf_counter() - started, 3)
        state.save()
    return state
