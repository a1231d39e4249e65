"""``/api/v1/stats/…``: the dashboard's figures for staff, scoped by region, as JSON or CSV.

Every endpoint takes ``region`` (a division code inside the caller's area; default their own region)
and answers ``rows`` (one per child region, month, category or reason) and the area's ``total``
where one makes sense, and ``as_of``: when the figures were counted (the summary tables' last
refresh; null when live). ``?format=csv`` or the ``.csv`` route gives the rows as CSV.

One ``get`` serves every endpoint (``StatsApi.get``); each endpoint says only what it reads
(``figures``) and how it looks (its serializers, the CSV columns).
"""

from __future__ import annotations

import datetime
from dataclasses import asdict
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.models import User
from backend.api.schema import ERROR_RESPONSES
from casework.apis.common import MonthField, query
from casework.selectors import reporting_period_now
from dashboard import selectors
from dashboard.renderers import CsvRenderer

FORMAT = OpenApiParameter(
    "format", str, enum=["json", "csv"], description="csv: the rows as CSV (UTF-8 with BOM), like the .csv route"
)


def stats_responses(output: type[serializers.Serializer]) -> dict[Any, Any]:
    """JSON as the serializer says; CSV as text (the ``rows``, one line each, with a header line)."""
    return {
        (200, "application/json"): output,
        (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="the rows as CSV, with a header line"),
        # Errors are always the JSON error shape, also on the CSV routes.
        **{(status, "application/json"): response for status, response in ERROR_RESPONSES.items()},
    }


REGION_HELP = "a 12-digit division code inside your area; default: your own region"


class AreaSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="division code; empty for the whole country")
    name = serializers.CharField()
    level = serializers.IntegerField(allow_null=True, help_text="1 province … 5 village")
    child_level = serializers.IntegerField(allow_null=True, help_text="the level of the rows")


def area_data(area: selectors.Area) -> dict[str, Any]:
    region = area.region
    level = region.level if region else 0
    return {
        "code": area.code,
        "name": region.name if region else "",
        "level": region.level if region else None,
        "child_level": min(level + 1, 5),
    }


AS_OF_HELP = "when the figures were counted (the summary tables' last refresh); null: counted live now"


def stats_schema(filters: type[serializers.Serializer], output: type[serializers.Serializer]) -> Any:
    """The OpenAPI description of one stats endpoint's ``get``."""
    return extend_schema_view(
        get=extend_schema(parameters=[filters, FORMAT], responses=stats_responses(output), tags=["stats"])
    )


class StatsApi(APIView):
    """What every stats endpoint shares: renderers, filters, the area, ``as_of``, the answer.

    A subclass sets ``FilterSerializer``, ``OutputSerializer``, the CSV columns and name, and
    ``figures``: what to read for the area (the selectors' answer as the output's fields)."""

    renderer_classes = [JSONRenderer, CsvRenderer]
    csv_columns: tuple[str, ...] = ()
    csv_name = "stats"

    class FilterSerializer(serializers.Serializer):
        region = serializers.RegexField(r"^[0-9]{12}$", required=False, help_text=REGION_HELP)

    OutputSerializer: type[serializers.Serializer]

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def get(self, request: Request, **_kwargs: Any) -> Response:
        actor = request_user(request)
        filters = query(self.FilterSerializer, request)
        area = selectors.dashboard_area(actor=actor, region_code=filters.get("region"))
        as_of = selectors.figures_as_of()
        data = {
            "region": area_data(area),
            "as_of": as_of,
            **self.figures(actor=actor, area=area, filters=filters),
        }
        return Response(self.OutputSerializer(data).data)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        """Errors answer the JSON error shape whatever format was asked for (a client parses one shape)."""
        if response.status_code >= 400:
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)


class StatsOutputSerializer(serializers.Serializer):
    region = AreaSerializer()
    as_of = serializers.DateTimeField(allow_null=True, help_text=AS_OF_HELP)


class SinceFilterSerializer(StatsApi.FilterSerializer):
    since = serializers.DateField(
        required=False,
        help_text="period start, rounded down to the first of its month (up to today); "
        "default: the first of the month 12 months ago",
    )

    def validate_since(self, value: datetime.date) -> datetime.date:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The period cannot start in the future."))
        return value


# --- certification -----------------------------------------------------------------------------

CERTIFICATION_COLUMNS = (
    "code",
    "name",
    "population",
    "certified",
    "rate",
    *selectors.METHODS,
    "due_soon",
    "overdue",
    "suspended",
)


class CertificationRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    population = serializers.IntegerField(help_text="people who have to certify (benefit not ended)")
    certified = serializers.IntegerField(help_text="of them, latest certification in the period")
    rate = serializers.FloatField(allow_null=True, help_text="certified / population, percent")
    silent = serializers.IntegerField()
    face = serializers.IntegerField()
    proxy_face = serializers.IntegerField()
    onsite = serializers.IntegerField()
    counter = serializers.IntegerField()
    due_soon = serializers.IntegerField(help_text="today: active, due within the due-soon window")
    overdue = serializers.IntegerField(help_text="today: active, past the due date")
    suspended = serializers.IntegerField(help_text="today: benefit suspended")


def certification_row(row: selectors.CertificationRow) -> dict[str, Any]:
    return {**asdict(row), "rate": row.rate}


class CertificationStatsSerializer(StatsOutputSerializer):
    since = serializers.DateField()
    today = serializers.DateField(help_text="the day due soon and overdue were counted for")
    total = CertificationRowSerializer()
    rows = CertificationRowSerializer(many=True)


@stats_schema(SinceFilterSerializer, CertificationStatsSerializer)
class CertificationStatsApi(StatsApi):
    """Certification rate by region and method over a period; due soon, overdue, suspended today."""

    csv_columns = CERTIFICATION_COLUMNS
    csv_name = "certification"
    FilterSerializer = SinceFilterSerializer
    OutputSerializer = CertificationStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        since = filters.get("since") or selectors.default_since()
        found = selectors.certification_by_region(actor=actor, area=area, since=since)
        return {
            "since": found.since,
            "today": found.today,
            "total": certification_row(found.total),
            "rows": [certification_row(row) for row in found.rows],
        }


class MonthRowSerializer(serializers.Serializer):
    month = MonthField()
    total = serializers.IntegerField()
    silent = serializers.IntegerField()
    face = serializers.IntegerField()
    proxy_face = serializers.IntegerField()
    onsite = serializers.IntegerField()
    counter = serializers.IntegerField()


class MonthsFilterSerializer(StatsApi.FilterSerializer):
    months = serializers.IntegerField(min_value=1, max_value=36, required=False, help_text="default 12")


class MonthlyStatsSerializer(StatsOutputSerializer):
    rows = MonthRowSerializer(many=True)


@stats_schema(MonthsFilterSerializer, MonthlyStatsSerializer)
class CertificationMonthlyStatsApi(StatsApi):
    """Certifications recorded per month, by method (the trend line)."""

    csv_columns = ("month", "total", *selectors.METHODS)
    csv_name = "certification-monthly"
    FilterSerializer = MonthsFilterSerializer
    OutputSerializer = MonthlyStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        return {"rows": selectors.certifications_by_month(actor=actor, area=area, months=filters.get("months", 12))}


# --- monthly reports ---------------------------------------------------------------------------


class ReportRowSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    level = serializers.IntegerField(allow_null=True)
    villages = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="not filed, past the due date")
    not_due = serializers.IntegerField(help_text="not filed, still before the due date")
    zero = serializers.IntegerField(help_text="of the reports filed, zero reports")
    on_time_rate = serializers.FloatField(allow_null=True)
    state = serializers.CharField(help_text="a village's own state when the rows are villages; else empty")


class PeriodFilterSerializer(StatsApi.FilterSerializer):
    period = MonthField(required=False, help_text="YYYY-MM; default: last month")


class ReportStatsSerializer(StatsOutputSerializer):
    period = MonthField()
    due_on = serializers.DateField()
    total = ReportRowSerializer()
    rows = ReportRowSerializer(many=True)


@stats_schema(PeriodFilterSerializer, ReportStatsSerializer)
class ReportStatsApi(StatsApi):
    """Monthly report compliance by village (on time, late, missing; zero reports) for a month.
    Always counted live (``as_of`` null): the live query is fast."""

    csv_columns = ("code", "name", "villages", "on_time", "late", "missing", "not_due", "zero", "on_time_rate")
    csv_name = "reports"
    FilterSerializer = PeriodFilterSerializer
    OutputSerializer = ReportStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        period = filters.get("period") or reporting_period_now()
        found = selectors.report_compliance(actor=actor, area=area, period=period)
        return {
            "as_of": None,
            "period": found.period,
            "due_on": found.due_on,
            "total": {**asdict(found.total), "on_time_rate": found.total.on_time_rate},
            "rows": [{**asdict(row), "on_time_rate": row.on_time_rate} for row in found.rows],
        }


# --- cases -------------------------------------------------------------------------------------


class CaseRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    total = serializers.IntegerField()
    age_0_7 = serializers.IntegerField(help_text="opened 0–7 days ago")
    age_8_30 = serializers.IntegerField()
    age_31_90 = serializers.IntegerField()
    age_over_90 = serializers.IntegerField()
    past_deadline = serializers.IntegerField()


class CaseStatsSerializer(StatsOutputSerializer):
    rows = CaseRowSerializer(many=True)


@stats_schema(StatsApi.FilterSerializer, CaseStatsSerializer)
class CaseStatsApi(StatsApi):
    """Open cases (open or accepted, not yet decided) by category and age."""

    csv_columns = ("category", "label", "total", "age_0_7", "age_8_30", "age_31_90", "age_over_90", "past_deadline")
    csv_name = "cases"
    OutputSerializer = CaseStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        return {"rows": selectors.open_cases(actor=actor, area=area)}


# --- face certification ------------------------------------------------------------------------


class OutcomeRowSerializer(serializers.Serializer):
    result = serializers.CharField()
    count = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text="percent of the compared photos; null for the others")


class ReasonRowSerializer(serializers.Serializer):
    result = serializers.CharField()
    reason = serializers.CharField(help_text="reason code; empty for a rejection as another person")
    label = serializers.CharField()
    count = serializers.IntegerField()


def face_outcome_rows(found: selectors.FaceOutcomes) -> list[dict[str, Any]]:
    return [
        {"result": "accepted", "count": found.accepted, "rate": found.accept_rate},
        {"result": "review", "count": found.review, "rate": found.review_rate},
        {"result": "rejected", "count": found.rejected, "rate": found.reject_rate},
        {"result": "refused", "count": found.refused, "rate": None},
        {"result": "limited", "count": found.limited, "rate": None},
    ]


class FaceStatsSerializer(StatsOutputSerializer):
    since = serializers.DateField()
    submitted = serializers.IntegerField()
    compared = serializers.IntegerField()
    rows = OutcomeRowSerializer(many=True)
    reasons = ReasonRowSerializer(many=True)


@stats_schema(SinceFilterSerializer, FaceStatsSerializer)
class FaceStatsApi(StatsApi):
    """Face certification outcomes: accept / review / reject rates of the compared photos, unusable
    photos and daily-limit refusals apart, and the top reasons photos were turned away."""

    csv_columns = ("result", "count", "rate")
    csv_name = "facecheck"
    FilterSerializer = SinceFilterSerializer
    OutputSerializer = FaceStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        since = filters.get("since") or selectors.default_since()
        found = selectors.face_outcomes(actor=actor, area=area, since=since)
        return {
            "since": found.since,
            "submitted": found.submitted,
            "compared": found.compared,
            "rows": face_outcome_rows(found),
            "reasons": found.reasons,
        }


class FaceReasonStatsSerializer(StatsOutputSerializer):
    since = serializers.DateField()
    rows = ReasonRowSerializer(many=True)


@stats_schema(SinceFilterSerializer, FaceReasonStatsSerializer)
class FaceReasonStatsApi(StatsApi):
    """The top reasons photos were turned away (rejected, replayed, unusable, over the daily limit)."""

    csv_columns = ("result", "reason", "label", "count")
    csv_name = "facecheck-reasons"
    FilterSerializer = SinceFilterSerializer
    OutputSerializer = FaceReasonStatsSerializer

    def figures(self, *, actor: User, area: selectors.Area, filters: dict[str, Any]) -> dict[str, Any]:
        since = filters.get("since") or selectors.default_since()
        found = selectors.face_outcomes(actor=actor, area=area, since=since)
        return {"since": found.since, "rows": found.reasons}
