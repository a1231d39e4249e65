"""Death reports: submit, list mine, read one."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from backend.api.pagination import DefaultPagination
from casework import selectors, services
from casework.apis.common import ERRORS, MAX_ID, page
from casework.models import DeathReport


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

    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

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
        return page(
            request, self, selectors.death_reports_of(reporter=request_user(request)), DeathReportOutputSerializer
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: DeathReportOutputSerializer, 200: DeathReportOutputSerializer, **ERRORS},
        tags=["death reports"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report, created = services.death_report_submit(
            reporter=request_user(request), request=request, **serializer.validated_data
        )
        return Response(
            DeathReportOutputSerializer(report).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class DeathReportDetailApi(APIView):
    @extend_schema(responses={200: DeathReportOutputSerializer, **ERRORS}, tags=["death reports"])
    def get(self, request: Request, report_id: int) -> Response:
        report = selectors.death_report_get_for_actor(actor=request_user(request), report_id=report_id)
        return Response(DeathReportOutputSerializer(report).data)
