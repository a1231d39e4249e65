"""Agencies send evidence batches (HMAC-signed); staff read the safety net's list, a person's
evidence and the round reports."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idnumbers import mask_id_number
from backend.api.errors import ApplicationError
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES, ErrorSerializer
from silent import selectors
from silent.services.agencies import agency_authenticate, evidence_batch_receive

AGENCY_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="not JSON, or a field of the batch is invalid"),
    401: OpenApiResponse(ErrorSerializer, description="unknown agency key or wrong signature (bad_signature)"),
    403: OpenApiResponse(ErrorSerializer, description="the source is not one of this agency's (source_not_allowed)"),
    409: OpenApiResponse(ErrorSerializer, description="the batch id was used for different records"),
    413: OpenApiResponse(ErrorSerializer, description="too many rows or too large: split the batch"),
}
STAFF_ERRORS = {**ERROR_RESPONSES, 403: OpenApiResponse(ErrorSerializer, description="staff only")}


class RejectSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="position of the row in `rows`, from 1")
    reason = serializers.CharField(
        help_text="bad_row, missing_field, bad_record_id, bad_id_number, bad_date, future_date, unknown_person, "
        "name_mismatch"
    )
    record_id = serializers.CharField()


class EvidenceRowSerializer(serializers.Serializer):
    record_id = serializers.CharField(max_length=64, help_text="the agency's own id of this record")
    id_number = serializers.CharField(help_text="18-digit resident ID number (15-digit legacy numbers accepted)")
    name = serializers.CharField()
    event_date = serializers.DateField()
    detail = serializers.CharField(required=False, max_length=200)


class EvidenceBatchApi(APIView):
    """An agency sends one batch of records of one of its sources.

    Headers: `X-Agency-Key` (the agency's key) and `X-Signature: sha256=<hex>`, the HMAC-SHA256 of
    the exact request body with the agency's secret. A replayed `batch_id` returns the stored
    result (`replayed: true`) and loads nothing.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]

    class InputSerializer(serializers.Serializer):
        batch_id = serializers.RegexField(r"^[A-Za-z0-9._:-]{1,64}$", help_text="unique per agency; retries reuse it")
        source = serializers.SlugField(max_length=40, help_text="data source key, e.g. cremation")
        rows = serializers.ListField(child=serializers.JSONField(), allow_empty=True)

    class DocumentedInputSerializer(InputSerializer):
        """What the schema shows: rows are checked one by one (a bad row is rejected, not a 400)."""

        rows = serializers.ListField(child=EvidenceRowSerializer(), allow_empty=True)

    class OutputSerializer(serializers.Serializer):
        batch_id = serializers.CharField(source="client_batch_id")
        source = serializers.CharField(source="source.key")
        rows = serializers.IntegerField()
        accepted = serializers.IntegerField()
        duplicates = serializers.IntegerField()
        rejected = serializers.IntegerField()
        rejects = RejectSerializer(many=True, help_text="the first SILENT_REJECTS_KEPT rejected rows")
        replayed = serializers.BooleanField()

    @extend_schema(
        request=DocumentedInputSerializer,
        responses={200: OutputSerializer, 201: OutputSerializer, **AGENCY_ERRORS},
        parameters=[
            OpenApiParameter("X-Agency-Key", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Signature", str, OpenApiParameter.HEADER, required=True, description="sha256=<hex>"),
        ],
        auth=[],
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        try:
            body = request.body
        except RequestDataTooBig:
            raise self._too_large() from None
        agency = agency_authenticate(
            key=request.headers.get("X-Agency-Key", ""), signature=request.headers.get("X-Signature", ""), body=body
        )
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if len(data["rows"]) > settings.SILENT_API_MAX_ROWS:
            raise self._too_large()
        batch, replayed = evidence_batch_receive(
            agency=agency, source_key=data["source"], batch_id=data["batch_id"], rows=data["rows"], body=body
        )
        batch.replayed = replayed
        return Response(self.OutputSerializer(batch).data, status=200 if replayed else 201)

    @staticmethod
    def _too_large() -> ApplicationError:
        return ApplicationError(
            _("The batch is too large; send at most %(rows)d rows per batch.") % {"rows": settings.SILENT_API_MAX_ROWS},
            code="batch_too_large",
            status_code=413,
        )


class GradeSerializer(serializers.Serializer):
    grade = serializers.CharField()
    score = serializers.DecimalField(max_digits=7, decimal_places=3)
    weak_sources = serializers.IntegerField()
    strong_seen_on = serializers.DateField(allow_null=True)
    weak_seen_on = serializers.DateField(allow_null=True)
    death_signal = serializers.BooleanField()
    graded_on = serializers.DateField()


class SafetyNetApi(APIView):
    """Staff: people due within 60 days whose survival grade is medium or low (or never graded),
    soonest first. The silent round will not certify them; a visit or a remote face check must."""

    class FilterSerializer(serializers.Serializer):
        within_days = serializers.IntegerField(min_value=0, max_value=366, required=False)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        id_number_masked = serializers.SerializerMethodField()
        village_code = serializers.CharField(source="region.code")
        village_name = serializers.CharField(source="region.name")
        next_due = serializers.DateField()
        benefit_status = serializers.CharField()
        grade = GradeSerializer(source="survival_grade", allow_null=True, default=None)

        def get_id_number_masked(self, obj) -> str:  # type: ignore[no-untyped-def]
            return mask_id_number(obj.id_number)

    @extend_schema(parameters=[FilterSerializer], responses={200: OutputSerializer(many=True), **STAFF_ERRORS})
    def get(self, request: Request) -> Response:
        selectors.staff_guard(request.user)
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = selectors.safety_net_list(actor=request.user, **filters.validated_data)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)


class PensionerEvidenceApi(APIView):
    """Staff: one person's survival grade, latest evidence events and the decisions taken on them."""

    class EventSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        source = serializers.CharField(source="source.key")
        kind = serializers.CharField(source="source.kind")
        record_id = serializers.CharField()
        event_date = serializers.DateField()
        received_at = serializers.DateTimeField()

    class DecisionSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        outcome = serializers.CharField()
        source = serializers.CharField(source="trigger.source.key")
        trigger_id = serializers.IntegerField()
        evidence_ids = serializers.ListField(child=serializers.IntegerField())
        certification_id = serializers.IntegerField(allow_null=True)
        case_id = serializers.IntegerField(allow_null=True)
        created_at = serializers.DateTimeField()

    class OutputSerializer(serializers.Serializer):
        pensioner_id = serializers.IntegerField(source="pensioner.pk")
        grade = GradeSerializer(allow_null=True)
        events = serializers.ListField(child=serializers.DictField())
        decisions = serializers.ListField(child=serializers.DictField())

    @extend_schema(responses={200: OutputSerializer, **STAFF_ERRORS})
    def get(self, request: Request, pensioner_id: int) -> Response:
        selectors.staff_guard(request.user)
        found = selectors.pensioner_evidence(actor=request.user, pensioner_id=pensioner_id)
        return Response(
            {
                "pensioner_id": found["pensioner"].pk,
                "grade": GradeSerializer(found["grade"]).data if found["grade"] else None,
                "events": self.EventSerializer(found["events"], many=True).data,
                "decisions": self.DecisionSerializer(found["decisions"], many=True).data,
            }
        )


class RoundReportListApi(APIView):
    """Staff: the comparison rounds, newest first, with counts by outcome, by source and by grade."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        run_on = serializers.DateField()
        started_at = serializers.DateTimeField()
        finished_at = serializers.DateTimeField(allow_null=True)
        certified = serializers.IntegerField()
        graded = serializers.IntegerField()
        holds = serializers.IntegerField()
        suspensions = serializers.IntegerField()
        cases = serializers.IntegerField()
        by_outcome = serializers.DictField(child=serializers.IntegerField())
        by_source = serializers.DictField(child=serializers.DictField(child=serializers.IntegerField()))
        grades = serializers.DictField(child=serializers.IntegerField())

    @extend_schema(responses={200: OutputSerializer(many=True), **STAFF_ERRORS})
    def get(self, request: Request) -> Response:
        selectors.staff_guard(request.user)
        paginator = DefaultPagination()
        page = paginator.paginate_queryset(selectors.round_reports(), request, view=self)
        return paginator.get_paginated_response(self.OutputSerializer(page, many=True).data)
