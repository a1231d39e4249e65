"""Casework API: thin views over casework.services (writes) and casework.selectors (reads)."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idnumbers import mask_id_number
from accounts.models import User
from accounts.services import audit_record
from backend.api.errors import NotFoundError
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES, ErrorSerializer
from casework import selectors, services
from casework.models import Case, DeathReport, MonthlyReport, MonthlyReportItem, Overpayment

MAX_ID = 2**63 - 1  # database integer range: larger ids are invalid input, not a server error

ERRORS = {
    **ERROR_RESPONSES,
    403: OpenApiResponse(ErrorSerializer, description="your role or duties do not allow this step"),
    409: OpenApiResponse(ErrorSerializer, description="the record changed state, or was already submitted"),
}
UPLOAD_ERRORS = {
    **ERRORS,
    413: OpenApiResponse(ErrorSerializer, description="file too large"),
    415: OpenApiResponse(ErrorSerializer, description="not a JPEG, PNG or PDF (checked by content)"),
}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-10"})
class MonthField(serializers.Field):
    """``YYYY-MM`` → the first day of that month."""

    default_error_messages = {"invalid": _("Use the form YYYY-MM, e.g. 2026-10.")}
    _pattern = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

    def to_internal_value(self, data: object) -> datetime.date:
        match = self._pattern.match(str(data).strip()) if isinstance(data, str) else None
        if match is None or int(match.group(1)) < 1900:
            self.fail("invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: datetime.date) -> str:
        return value.strftime("%Y-%m")


def _page(request: Request, view: APIView, queryset: Any, serializer_class: type, **context: Any) -> Response:
    paginator = DefaultPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)


def _query(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CasePensionerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    village_code = serializers.CharField(source="region.code")
    village_name = serializers.CharField(source="region.name")
    benefit_status = serializers.CharField()

    def get_id_number_masked(self, obj) -> str:  # type: ignore[no-untyped-def]
        return mask_id_number(obj.id_number)


# --- Evidence ------------------------------------------------------------------------------


class EvidenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()


class EvidenceUploadApi(APIView):
    """Upload one photo or scan (JPEG, PNG or PDF, checked by content); attach it by ``id`` afterwards."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, max_length=200)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: EvidenceOutputSerializer, **UPLOAD_ERRORS},
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_upload(
            uploaded_by=request.user, upload=serializer.validated_data["file"], request=request
        )
        return Response(EvidenceOutputSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadApi(APIView):
    """The file itself, for its uploader and for staff whose scope covers a case it belongs to."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(), **ERRORS}, tags=["evidence"])
    def get(self, request: Request, evidence_id: int) -> FileResponse:
        evidence = selectors.evidence_get_for_actor(actor=request.user, evidence_id=evidence_id)
        if evidence.uploaded_by_id != request.user.pk:
            audit_record(actor=request.user, action="evidence.read", target=evidence, request=request)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise NotFoundError() from None
        response = FileResponse(handle, content_type=evidence.content_type)
        response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}.{evidence.extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- Death reports -------------------------------------------------------------------------


class DeathReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner_id = serializers.IntegerField()
    pensioner_name = serializers.CharField(source="pensioner.name")
    capacity = serializers.CharField()
    relationship = serializers.CharField()
    date_of_death = serializers.DateField()
    place = serializers.CharField()
    note = serializers.CharField()
    case_id = serializers.IntegerField()
    case_status = serializers.CharField(source="case.status")
    evidence_ids = serializers.SerializerMethodField()
    client_request_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()

    def get_evidence_ids(self, obj: DeathReport) -> list[int]:
        return sorted(e.pk for e in obj.evidence.all())


class DeathReportListCreateApi(APIView):
    """Report a death (approved relative, the village's assistant, or staff in scope); list my reports.

    Retrying with the same ``client_request_id`` returns the first report (200 instead of 201).
    """

    class InputSerializer(serializers.Serializer):
        pensioner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        date_of_death = serializers.DateField()
        place = serializers.CharField(max_length=200)
        relationship = serializers.ChoiceField(choices=DeathReport.Relationship.choices, required=False)
        note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
        evidence_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list, max_length=50
        )
        client_request_id = serializers.UUIDField()

    @extend_schema(responses={200: DeathReportOutputSerializer(many=True), **ERRORS}, tags=["death reports"])
    def get(self, request: Request) -> Response:
        return _page(request, self, selectors.death_reports_of(reporter=request.user), DeathReportOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: DeathReportOutputSerializer, 200: DeathReportOutputSerializer, **ERRORS},
        tags=["death reports"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.death_report_submit(
            reporter=request.user, request=request, **serializer.validated_data
        )
        return Response(
            DeathReportOutputSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DeathReportDetailApi(APIView):
    @extend_schema(responses={200: DeathReportOutputSerializer, **ERRORS}, tags=["death reports"])
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.death_report_get_for_actor(actor=request.user, report_id=report_id)
        return Response(DeathReportOutputSerializer(report).data)


# --- Village assistants --------------------------------------------------------------------


class AssistantPensionerListApi(APIView):
    """Pensioners of my villages, paginated; ``search`` by name or the last digits of the ID number."""

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
        village_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        include_ended = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: CasePensionerSerializer(many=True), **ERRORS}, tags=["village"]
    )
    def get(self, request: Request) -> Response:
        filters = _query(self.FilterSerializer, request)
        queryset = selectors.assistant_pensioners(actor=request.user, **filters)
        return _page(request, self, queryset, CasePensionerSerializer)


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
        filters = _query(self.FilterSerializer, request)
        period = filters.get("period") or selectors.reporting_period_now()
        rows = selectors.monthly_report_status(villages=selectors.assistant_villages(actor=request.user), period=period)
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
        filters = _query(self.FilterSerializer, request)
        queryset = selectors.monthly_reports_for_actor(actor=request.user, **filters)
        return _page(request, self, queryset, MonthlyReportOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: MonthlyReportDetailSerializer, 200: MonthlyReportDetailSerializer, **ERRORS},
        tags=["village"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.monthly_report_submit(
            actor=request.user, request=request, **serializer.validated_data
        )
        return Response(
            MonthlyReportDetailSerializer(report).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class MonthlyReportDetailApi(APIView):
    @extend_schema(responses={200: MonthlyReportDetailSerializer, **ERRORS}, tags=["village"])
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.monthly_report_get_for_actor(actor=request.user, report_id=report_id)
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
            actor=request.user, report_id=report_id, request=request, **serializer.validated_data
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
        filters = _query(self.FilterSerializer, request)
        period = filters.get("period") or selectors.reporting_period_now()
        villages = selectors.villages_in_staff_scope(actor=request.user, region_code=filters.get("region"))
        rows = selectors.monthly_report_status(villages=villages, period=period)
        counts = {state.value: 0 for state in selectors.ReportState}
        for row in rows:
            counts[row.state] += 1
        if filters.get("state"):
            rows = [row for row in rows if row.state == filters["state"]]
        data = {"period": period, "due_on": services.monthly_report_due_on(period), "counts": counts, "villages": rows}
        return Response(self.OutputSerializer(data).data)


# --- Cases ---------------------------------------------------------------------------------


class CaseNoteSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.CharField(source="author.__str__", allow_null=True, default=None)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class CaseOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = CasePensionerSerializer()
    category = serializers.CharField()
    category_label = serializers.CharField(source="get_category_display")
    source = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    summary = serializers.CharField()
    assignee_id = serializers.IntegerField(allow_null=True)
    deadline = serializers.DateField(allow_null=True)
    overdue = serializers.SerializerMethodField()
    requires_city_review = serializers.BooleanField()
    accepted_by_id = serializers.IntegerField(allow_null=True)
    accepted_at = serializers.DateTimeField(allow_null=True)
    decided_by_id = serializers.IntegerField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    outcome = serializers.CharField()
    created_at = serializers.DateTimeField()

    def get_overdue(self, obj: Case) -> bool:
        return bool(obj.deadline and obj.status in ("open", "accepted") and obj.deadline < timezone.localdate())


class CaseDetailSerializer(CaseOutputSerializer):
    details = serializers.JSONField()
    notes = CaseNoteSerializer(many=True, source="notes.all")
    evidence_ids = serializers.SerializerMethodField()
    checks = serializers.SerializerMethodField(help_text="resumption: back-pay dates, amount and bank-account checks")
    allowed_actions = serializers.SerializerMethodField()

    def get_evidence_ids(self, obj: Case) -> list[int]:
        return sorted(e.pk for e in obj.evidence.all())

    def get_checks(self, obj: Case) -> dict | None:
        if obj.category != Case.Category.RESUMPTION:
            return None
        if obj.status in (Case.Status.OPEN, Case.Status.ACCEPTED):
            return services.resumption_checks(case=obj)
        return obj.details.get("outcome", {}).get("checks_at_approval")

    def get_allowed_actions(self, obj: Case) -> list[str]:
        actor = self.context.get("actor")
        return selectors.case_available_actions(actor=actor, case=obj) if actor else []


class CaseListApi(APIView):
    """Staff: cases in my area, soonest deadline first."""

    class FilterSerializer(serializers.Serializer):
        category = serializers.ChoiceField(choices=Case.Category.choices, required=False)
        status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
        region = serializers.RegexField(r"^[0-9]{12}$", required=False, source="region_code")
        deadline_before = serializers.DateField(required=False)
        assigned_to_me = serializers.BooleanField(required=False, default=False)
        pensioner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: CaseOutputSerializer(many=True), **ERRORS}, tags=["cases"]
    )
    def get(self, request: Request) -> Response:
        filters = _query(self.FilterSerializer, request)
        return _page(request, self, selectors.case_list(actor=request.user, **filters), CaseOutputSerializer)


def _case_response(request: Request, case: Case, *, status_code: int = 200) -> Response:
    case = selectors.case_get_for_actor(actor=request.user, case_id=case.pk)
    return Response(CaseDetailSerializer(case, context={"actor": request.user}).data, status=status_code)


def _case_for(request: Request, case_id: int) -> Case:
    return selectors.case_get_for_actor(actor=request.user, case_id=case_id)


class CaseDetailApi(APIView):
    @extend_schema(responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def get(self, request: Request, case_id: int) -> Response:
        case = _case_for(request, case_id)
        audit_record(actor=request.user, action="case.read", target=case, request=request)
        return Response(CaseDetailSerializer(case, context={"actor": request.user}).data)


class NoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CaseAssignApi(APIView):
    class InputSerializer(serializers.Serializer):
        assignee_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        deadline = serializers.DateField(required=False)

    @extend_schema(request=InputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = _case_for(request, case_id)
        assignee = User.objects.filter(pk=serializer.validated_data["assignee_id"]).first()
        if assignee is None:
            raise NotFoundError(
                _("This person cannot work on this case."),
                code="assignee_not_eligible",
                fields={"assignee_id": [_("This person cannot work on this case.")]},
            )
        case = services.case_assign(
            case=case,
            actor=request.user,
            assignee=assignee,
            deadline=serializer.validated_data.get("deadline"),
            request=request,
        )
        return _case_response(request, case)


class CaseAcceptApi(APIView):
    """受理 (first level): a caseworker takes the case on."""

    @extend_schema(request=NoteInputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_accept(
            case=_case_for(request, case_id), actor=request.user, request=request, **serializer.validated_data
        )
        return _case_response(request, case)


class CaseApproveApi(APIView):
    """审核 (second level): a different reviewer confirms; the consequence is applied at once.

    Suspected death: ``date_of_death`` if the reports disagree. Resumption after more than 12 months:
    a city-level reviewer with ``checks_confirmed``.
    """

    class InputSerializer(NoteInputSerializer):
        date_of_death = serializers.DateField(required=False)
        checks_confirmed = serializers.BooleanField(required=False, default=False)

    @extend_schema(request=InputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_approve(
            case=_case_for(request, case_id), actor=request.user, request=request, **serializer.validated_data
        )
        return _case_response(request, case)


class CaseRejectApi(APIView):
    """审核不通过: the suspicion is not confirmed (``note`` required); a hold is lifted with back pay."""

    class InputSerializer(serializers.Serializer):
        note = serializers.CharField(max_length=500)

    @extend_schema(request=InputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_reject(
            case=_case_for(request, case_id), actor=request.user, request=request, **serializer.validated_data
        )
        return _case_response(request, case)


class CaseCloseApi(APIView):
    @extend_schema(request=NoteInputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_close(
            case=_case_for(request, case_id), actor=request.user, request=request, **serializer.validated_data
        )
        return _case_response(request, case)


class CaseNoteCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(max_length=2000)
        evidence_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list, max_length=50
        )

    @extend_schema(request=InputSerializer, responses={201: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = _case_for(request, case_id)
        services.case_note_add(case=case, actor=request.user, request=request, **serializer.validated_data)
        return _case_response(request, case, status_code=status.HTTP_201_CREATED)


# --- Money ---------------------------------------------------------------------------------


class LedgerLineSerializer(serializers.Serializer):
    period = MonthField()
    kind = serializers.CharField(help_text="regular | back_pay")
    status = serializers.CharField(help_text="paid | held")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField(allow_null=True)
    account_last4 = serializers.CharField()


class PaymentListApi(APIView):
    """Monthly payments of a pensioner (self, approved relative, staff in scope), newest first."""

    class SummarySerializer(serializers.Serializer):
        last_paid_period = MonthField(allow_null=True)
        last_paid_on = serializers.DateField(allow_null=True)
        last_paid_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
        held_months = serializers.IntegerField()
        held_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
        overpaid_outstanding = serializers.DecimalField(max_digits=12, decimal_places=2)

    @extend_schema(
        parameters=[OpenApiParameter("page", int, required=False)],
        responses={200: LedgerLineSerializer(many=True), **ERRORS},
        tags=["payments"],
    )
    def get(self, request: Request, pensioner_id: int) -> Response:
        pensioner = selectors.pensioner_for_money(actor=request.user, pensioner_id=pensioner_id)
        if pensioner.user_id != request.user.pk:
            audit_record(actor=request.user, action="payments.read", target=pensioner, request=request)
        response = _page(request, self, selectors.ledger_for_pensioner(pensioner=pensioner), LedgerLineSerializer)
        response.data["summary"] = self.SummarySerializer(selectors.ledger_summary(pensioner=pensioner)).data
        return response


class OverpaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = CasePensionerSerializer()
    case_id = serializers.IntegerField()
    period_from = MonthField()
    period_to = MonthField()
    months = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    recovered_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    recovery_status = serializers.CharField(help_text="pending | partial | recovered")


class OverpaymentListApi(APIView):
    class FilterSerializer(serializers.Serializer):
        recovery_status = serializers.ChoiceField(choices=Overpayment.RecoveryStatus.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: OverpaymentSerializer(many=True), **ERRORS}, tags=["payments"]
    )
    def get(self, request: Request) -> Response:
        filters = _query(self.FilterSerializer, request)
        queryset = selectors.overpayments_in_scope(actor=request.user).order_by("-created_at")
        if filters.get("recovery_status"):
            queryset = queryset.filter(recovery_status=filters["recovery_status"])
        return _page(request, self, queryset, OverpaymentSerializer)


class OverpaymentRecoveryCreateApi(APIView):
    """Book an amount recovered from the estate (idempotent by ``client_request_id``)."""

    class InputSerializer(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        client_request_id = serializers.UUIDField()

    @extend_schema(request=InputSerializer, responses={201: OverpaymentSerializer, **ERRORS}, tags=["payments"])
    def post(self, request: Request, overpayment_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        overpayment = selectors.overpayments_in_scope(actor=request.user).filter(pk=overpayment_id).first()
        if overpayment is None:
            raise NotFoundError()
        _recovery, created = services.overpayment_recovery_record(
            overpayment=overpayment, actor=request.user, request=request, **serializer.validated_data
        )
        overpayment.refresh_from_db()
        return Response(
            OverpaymentSerializer(overpayment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
