"""The safety net's API: record an on-site/counter certification or a consulate life certificate,
work the visit queue, answer the village's monthly suspect list. Confirmation (受理 + 审核) happens
on the case the record opens, through the case API."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.services import audit_record
from casework import visit_selectors
from casework.apis.common import ERRORS, MAX_ID, CasePensionerSerializer, MonthField, page, query
from casework.models import ProofOfLife, SuspectListEntry, VisitTask
from casework.services.proofs import proof_of_life_record
from casework.services.suspect_lists import suspect_entry_answer
from casework.services.visits import visit_outcome_record


class ProofOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = CasePensionerSerializer()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    seen_on = serializers.DateField()
    place = serializers.CharField()
    consulate = serializers.CharField()
    document_no = serializers.CharField()
    document_valid_until = serializers.DateField(allow_null=True)
    evidence_id = serializers.IntegerField()
    face_hint = serializers.JSONField(help_text="a hint for the reviewer, never a decision")
    case_id = serializers.IntegerField(allow_null=True)
    certification_id = serializers.IntegerField(allow_null=True)
    recorded_at = serializers.DateTimeField()


def _created(proof: ProofOfLife, created: bool) -> Response:
    return Response(
        ProofOutputSerializer(proof).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


class OnsiteCertificationCreateApi(APIView):
    """Record a home visit (village assistant, grid worker, staff) or a counter certification (staff):
    one person, one photo of them with their ID or one signed form. It counts once two staff have
    confirmed it on the case it opens. ``compare_face``: compare the photo with the enrolled reference
    photo, as a hint for the reviewer. Retrying with the same ``client_request_id`` returns the first
    record (200)."""

    class InputSerializer(serializers.Serializer):
        pensioner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        method = serializers.ChoiceField(choices=[ProofOfLife.Kind.ONSITE, ProofOfLife.Kind.COUNTER])
        place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
        seen_on = serializers.DateField()
        evidence_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        compare_face = serializers.BooleanField(required=False, default=False)
        client_request_id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer,
        responses={201: ProofOutputSerializer, 200: ProofOutputSerializer, **ERRORS},
        tags=["safety net"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        proof, created = proof_of_life_record(
            actor=request_user(request), kind=data.pop("method"), request=request, **data
        )
        return _created(proof, created)


class LifeCertificateCreateApi(APIView):
    """Staff record a consulate life certificate for someone abroad (the 中国领事 app's certificate or a
    consulate-stamped form): document, issuing consulate, date of issue and validity. It counts once
    two staff have confirmed it, dated at issue."""

    class InputSerializer(serializers.Serializer):
        pensioner_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        document_no = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        consulate = serializers.CharField(max_length=120)
        issued_on = serializers.DateField()
        valid_until = serializers.DateField()
        evidence_id = serializers.IntegerField(min_value=1, max_value=MAX_ID)
        client_request_id = serializers.UUIDField()

    @extend_schema(
        request=InputSerializer,
        responses={201: ProofOutputSerializer, 200: ProofOutputSerializer, **ERRORS},
        tags=["safety net"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        proof, created = proof_of_life_record(
            actor=request_user(request),
            kind=ProofOfLife.Kind.CONSULATE,
            seen_on=data.pop("issued_on"),
            document_valid_until=data.pop("valid_until"),
            request=request,
            **data,
        )
        return _created(proof, created)


class ProofDetailApi(APIView):
    """One record: for its recorder, and for staff in scope (audited)."""

    @extend_schema(responses={200: ProofOutputSerializer, **ERRORS}, tags=["safety net"])
    def get(self, request: Request, proof_id: int) -> Response:
        actor = request_user(request)
        proof = visit_selectors.proof_get_for_actor(actor=actor, proof_id=proof_id)
        if proof.recorded_by_id != request.user.pk:
            audit_record(actor=actor, action="proof_of_life.read", target=proof, request=request)
        return Response(ProofOutputSerializer(proof).data)


# --- Visit queue ---------------------------------------------------------------------------------


class VisitPensionerSerializer(CasePensionerSerializer):
    next_due = serializers.DateField()


class VisitOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = VisitPensionerSerializer()
    reason = serializers.CharField()
    reason_label = serializers.CharField(source="get_reason_display")
    reasons = serializers.ListField(child=serializers.CharField())
    priority = serializers.IntegerField()
    assignee_id = serializers.IntegerField(allow_null=True)
    due_on = serializers.DateField()
    past_due = serializers.SerializerMethodField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    outcome_at = serializers.DateTimeField(allow_null=True)
    case_id = serializers.IntegerField(allow_null=True)
    proof_id = serializers.IntegerField(allow_null=True)
    note = serializers.CharField()

    def get_past_due(self, obj: VisitTask) -> bool:
        return obj.status == VisitTask.Status.OPEN and obj.due_on < timezone.localdate()


class FieldAnswerSerializer(serializers.Serializer):
    """What someone in the field says about a person, shared by visit outcomes and suspect-list answers."""

    seen_on = serializers.DateField(required=False)
    place = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    evidence_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    client_request_id = serializers.UUIDField(required=False)


class VisitListApi(APIView):
    """Assistants and grid workers: the visits in their villages; staff: every visit in their area,
    with filters. Most urgent first."""

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=VisitTask.Status.choices, required=False, default="open")
        reason = serializers.ChoiceField(choices=VisitTask.Reason.choices, required=False)
        region = serializers.RegexField(r"^[0-9]{12}$", required=False, source="region_code")
        assignee_id = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
        unassigned = serializers.BooleanField(required=False, default=False)
        past_due = serializers.BooleanField(required=False, default=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: VisitOutputSerializer(many=True), **ERRORS}, tags=["safety net"]
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        past_due = filters.pop("past_due")
        queryset = visit_selectors.visit_tasks_for_actor(
            actor=request_user(request), overdue_on=timezone.localdate() if past_due else None, **filters
        )
        return page(request, self, queryset, VisitOutputSerializer)


class VisitDetailApi(APIView):
    @extend_schema(responses={200: VisitOutputSerializer, **ERRORS}, tags=["safety net"])
    def get(self, request: Request, task_id: int) -> Response:
        actor = request_user(request)
        task = visit_selectors.visit_task_get_for_actor(actor=actor, task_id=task_id)
        audit_record(actor=actor, action="visit_task.read", target=task, request=request)
        return Response(VisitOutputSerializer(task).data)


class VisitOutcomeApi(APIView):
    """What the visit found. ``certified``: ``seen_on``, ``place``, ``evidence_id`` (a photo of the
    person with their ID), optionally ``compare_face`` — a proof of life for two staff to confirm.
    ``deceased``: ``date_of_death``, ``place`` (``evidence_ids`` optional) — a death report.
    ``moved_away`` and ``not_found``: a case for the office (``note`` helps)."""

    class InputSerializer(FieldAnswerSerializer):
        outcome = serializers.ChoiceField(choices=VisitTask.Outcome.choices)
        evidence_ids = serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, default=list, max_length=10
        )
        compare_face = serializers.BooleanField(required=False, default=False)
        date_of_death = serializers.DateField(required=False)

    @extend_schema(request=InputSerializer, responses={200: VisitOutputSerializer, **ERRORS}, tags=["safety net"])
    def post(self, request: Request, task_id: int) -> Response:
        actor = request_user(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        task = visit_selectors.visit_task_get_for_actor(actor=actor, task_id=task_id)
        task = visit_outcome_record(actor=actor, task=task, outcome=data.pop("outcome"), data=data, request=request)
        return Response(
            VisitOutputSerializer(visit_selectors.visit_task_get_for_actor(actor=actor, task_id=task.pk)).data
        )


# --- Suspect lists -------------------------------------------------------------------------------


class SuspectEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = CasePensionerSerializer()
    reasons = serializers.ListField(child=serializers.CharField())
    answer = serializers.CharField()
    seen_on = serializers.DateField(allow_null=True)
    note = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    case_id = serializers.IntegerField(allow_null=True)
    task_id = serializers.IntegerField(allow_null=True)


class SuspectListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    village_id = serializers.IntegerField()
    village_name = serializers.CharField(source="village.name")
    period = MonthField()
    created_at = serializers.DateTimeField()


class SuspectListDetailSerializer(SuspectListSerializer):
    entries = serializers.SerializerMethodField()

    def get_entries(self, obj) -> list[dict]:  # type: ignore[no-untyped-def]
        return SuspectEntrySerializer(visit_selectors.suspect_entries(suspect_list=obj), many=True).data


class SuspectListListApi(APIView):
    """Assistants: the monthly lists of their villages; staff: the lists in their area."""

    class FilterSerializer(serializers.Serializer):
        period = MonthField(required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: SuspectListSerializer(many=True), **ERRORS}, tags=["safety net"]
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        queryset = visit_selectors.suspect_lists_for_actor(actor=request_user(request), period=filters.get("period"))
        return page(request, self, queryset, SuspectListSerializer)


class SuspectListDetailApi(APIView):
    @extend_schema(responses={200: SuspectListDetailSerializer, **ERRORS}, tags=["safety net"])
    def get(self, request: Request, list_id: int) -> Response:
        actor = request_user(request)
        suspect_list = visit_selectors.suspect_list_get_for_actor(actor=actor, list_id=list_id)
        audit_record(actor=actor, action="suspect_list.read", target=suspect_list, request=request)
        return Response(SuspectListDetailSerializer(suspect_list).data)


class SuspectEntryAnswerApi(APIView):
    """The assistant's answer for one person: ``alive`` (``seen_on``; with ``evidence_id`` and ``place``
    it becomes an on-site certification to confirm), ``died`` (``seen_on`` is the date of death;
    ``place``), ``moved``, ``unknown`` (a visit is scheduled)."""

    class InputSerializer(FieldAnswerSerializer):
        answer = serializers.ChoiceField(choices=SuspectListEntry.Answer.choices)

    @extend_schema(request=InputSerializer, responses={200: SuspectEntrySerializer, **ERRORS}, tags=["safety net"])
    def post(self, request: Request, list_id: int, entry_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        entry = suspect_entry_answer(
            actor=request_user(request),
            list_id=list_id,
            entry_id=entry_id,
            answer=data.pop("answer"),
            data=data,
            request=request,
        )
        return Response(SuspectEntrySerializer(entry).data)
