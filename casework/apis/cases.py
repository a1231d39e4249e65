"""Staff work cases: list, read, assign, accept, approve, reject, close, add notes."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.models import User
from accounts.services import audit_record
from backend.api.errors import NotFoundError
from backend.api.pagination import DefaultPagination
from casework import selectors, services
from casework.apis.common import ERRORS, MAX_ID, CasePensionerSerializer, page, query
from casework.models import Case


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
            return selectors.resumption_checks(case=obj)
        return obj.details.get("outcome", {}).get("checks_at_approval")

    def get_allowed_actions(self, obj: Case) -> list[str]:
        actor = self.context.get("actor")
        return selectors.case_available_actions(actor=actor, case=obj) if actor else []


class CaseListApi(APIView):
    """Staff: cases in my area, soonest deadline first."""

    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

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
        filters = query(self.FilterSerializer, request)
        return page(request, self, selectors.case_list(actor=request_user(request), **filters), CaseOutputSerializer)


def _case_response(request: Request, case: Case, *, status_code: int = 200) -> Response:
    case = selectors.case_get_for_actor(actor=request_user(request), case_id=case.pk)
    return Response(CaseDetailSerializer(case, context={"actor": request.user}).data, status=status_code)


def _case_for(request: Request, case_id: int) -> Case:
    return selectors.case_get_for_actor(actor=request_user(request), case_id=case_id)


class CaseDetailApi(APIView):
    @extend_schema(responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def get(self, request: Request, case_id: int) -> Response:
        case = _case_for(request, case_id)
        audit_record(actor=request_user(request), action="case.read", target=case, request=request)
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
            actor=request_user(request),
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
            case=_case_for(request, case_id), actor=request_user(request), request=request, **serializer.validated_data
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
            case=_case_for(request, case_id), actor=request_user(request), request=request, **serializer.validated_data
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
            case=_case_for(request, case_id), actor=request_user(request), request=request, **serializer.validated_data
        )
        return _case_response(request, case)


class CaseCloseApi(APIView):
    @extend_schema(request=NoteInputSerializer, responses={200: CaseDetailSerializer, **ERRORS}, tags=["cases"])
    def post(self, request: Request, case_id: int) -> Response:
        serializer = NoteInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_close(
            case=_case_for(request, case_id), actor=request_user(request), request=request, **serializer.validated_data
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
        services.case_note_add(case=case, actor=request_user(request), request=request, **serializer.validated_data)
        return _case_response(request, case, status_code=status.HTTP_201_CREATED)
