"""The village assistant's people and villages, the monthly reports, and the staff's overview of them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from backend.api.pagination import DefaultPagination
from casework import selectors, services
from casework.apis.common import ERRORS, MAX_ID, CasePensionerSerializer, MonthField, page, query
from casework.models import MonthlyReport, MonthlyReportItem
from casework.rules import monthly_report_due_on


class AssistantPensionerListApi(APIView):
    """Pensioners of my villages, paginated; ``search`` by name or the last digits of the ID number."""

    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        village_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        include_ended = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: CasePensionerSerializer(many=True), **ERRORS}, tags=["village"]
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        queryset = selectors.assistant_pensioners(actor=request_user(request), **filters)
        return page(request, self, queryset, CasePensionerSerializer)


class VillageStatusSerializer(serializers.Serializer):
    village_id = serializers.IntegerField(source="village.pk")
    village_code = serializers.CharField(source="village.code")
    village_name = serializers.CharField(source="village.name")
    period = MonthField()
    due_on = serializers.DateField()
    state = serializers.CharField(help_text="on_time | late | missing | not_due")
    report_id = serializers.IntegerField(source="report.pk", allow_null=True, default=None)
    report_version = serializers.IntegerField(source="report.version", allow_null=True, default=None)
    is_zero = serializers.BooleanField(source="report.is_zero", allow_null=True, default=None)


class AssistantVillageListApi(APIView):
    """My villages with the month now being collected, its deadline and whether it is filed."""

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: VillageStatusSerializer(many=True), **ERRORS}, tags=["village"]
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        period = filters.get("period") or selectors.reporting_period_now()
        rows = selectors.monthly_report_status(
            villages=selectors.assistant_villages(actor=request_user(request)), period=period
        )
        return Response(VillageStatusSerializer(rows, many=True).data)


class ReportItemInputSerializer(serializers.Serializer):
    pensioner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    event = serializers.ChoiceField(choices=MonthlyReportItem.Event.choices)
    event_date = serializers.DateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    evidence_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list, max_length=50
    )


class ReportItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = CasePensionerSerializer()
    event = serializers.CharField()
    event_date = serializers.DateField()
    note = serializers.CharField()
    case_id = serializers.IntegerField(allow_null=True)
    evidence_ids = serializers.SerializerMethodField()

    def get_evidence_ids(self, obj: MonthlyReportItem) -> list[int]:
        return sorted(e.pk for e in obj.evidence.all())


class MonthlyReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    village_id = serializers.IntegerField()
    village_code = serializers.CharField(source="village.code")
    village_name = serializers.CharField(source="village.name")
    period = MonthField()
    version = serializers.IntegerField()
    is_current = serializers.BooleanField()
    is_zero = serializers.BooleanField()
    amends_id = serializers.IntegerField(source="supersedes_id", allow_null=True)
    note = serializers.CharField()
    due_on = serializers.DateField()
    is_late = serializers.BooleanField()
    submitted_by = serializers.CharField(source="submitted_by.__str__")
    submitted_at = serializers.DateTimeField()
    first_submitted_at = serializers.DateTimeField()
    client_request_id = serializers.UUIDField()


class MonthlyReportDetailSerializer(MonthlyReportOutputSerializer):
    items = serializers.SerializerMethodField()

    def get_items(self, obj: MonthlyReport) -> list[dict]:
        items = obj.items.select_related("pensioner__region").prefetch_related("evidence")
        return ReportItemOutputSerializer(items, many=True).data


class MonthlyReportListCreateApi(APIView):
    """File a village's monthly report (``is_zero`` for "nothing to report"); list reports I may see.

    One report per village and month: a second filing answers 409 ``report_exists`` (amend instead).
    Retrying with the same ``client_request_id`` returns the first result (200 instead of 201).
    """

    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

    class InputSerializer(serializers.Serializer):
        village_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        period = MonthField()
        is_zero = serializers.BooleanField()
        items = ReportItemInputSerializer(many=True, required=False, default=list, max_length=500)
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        client_request_id = serializers.UUIDField()

    class FilterSerializer(serializers.Serializer):
        village_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        period = MonthField(required=False)
        current_only = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer],
        responses={200: MonthlyReportOutputSerializer(many=True), **ERRORS},
        tags=["village"],
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        queryset = selectors.monthly_reports_for_actor(actor=request_user(request), **filters)
        return page(request, self, queryset, MonthlyReportOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: MonthlyReportDetailSerializer, 200: MonthlyReportDetailSerializer, **ERRORS},
        tags=["village"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.monthly_report_submit(
            actor=request_user(request), request=request, **serializer.validated_data
        )
        return Response(
            MonthlyReportDetailSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MonthlyReportDetailApi(APIView):
    @extend_schema(responses={200: MonthlyReportDetailSerializer, **ERRORS}, tags=["village"])
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.monthly_report_get_for_actor(actor=request_user(request), report_id=report_id)
        return Response(MonthlyReportDetailSerializer(report).data)


class MonthlyReportAmendApi(APIView):
    """Amend the current version: a new version is stored, the old one stays as it was."""

    class InputSerializer(serializers.Serializer):
        is_zero = serializers.BooleanField()
        items = ReportItemInputSerializer(many=True, required=False, default=list, max_length=500)
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        client_request_id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer,
        responses={201: MonthlyReportDetailSerializer, 200: MonthlyReportDetailSerializer, **ERRORS},
        tags=["village"],
    )
    def post(self, request: Request, report_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.monthly_report_amend(
            actor=request_user(request), report_id=report_id, request=request, **serializer.validated_data
        )
        return Response(
            MonthlyReportDetailSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MonthlyReportStatusApi(APIView):
    """Staff: which villages in my area filed on time, late, or not at all for a month."""

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False, help_text="default: last month")
        region = serializers.RegexField(r"^[0-9]{12}$", required=False, help_text="a region inside my area")
        state = serializers.ChoiceField(choices=["on_time", "late", "missing", "not_due"], required=False)

    class OutputSerializer(serializers.Serializer):
        period = MonthField()
        due_on = serializers.DateField()
        counts = serializers.DictField(child=serializers.IntegerField())
        villages = VillageStatusSerializer(many=True)

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer, **ERRORS}, tags=["village"])
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        period = filters.get("period") or selectors.reporting_period_now()
        villages = selectors.villages_in_staff_scope(actor=request_user(request), region_code=filters.get("region"))
        rows = selectors.monthly_report_status(villages=villages, period=period)
        counts = {state.value: 0 for state in selectors.ReportState}
        for row in rows:
            counts[row.state] += 1
        if filters.get("state"):
            rows = [row for row in rows if row.state == filters["state"]]
        data = {"period": period, "due_on": monthly_report_due_on(period), "counts": counts, "villages": rows}
        return Response(self.OutputSerializer(data).data)
