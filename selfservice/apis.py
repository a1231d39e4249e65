from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.models import Pensioner
from accounts.selectors import pensioner_get_for_actor, pensioner_of_user
from accounts.services import audit_record
from backend.api.errors import NotFoundError
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES
from selfservice.selectors import certification_history, certification_status

PENSIONER_PARAM = OpenApiParameter(
    "pensioner",
    int,
    required=False,
    description="act for this pensioner (approved relative, assigned village assistant, staff in scope); "
    "omit for myself",
)


def resolve_subject(request: Request, *, action: str) -> Pensioner:
    """Myself, or ``?pensioner=<id>`` within my scope. Reading someone else's data is audited."""
    actor = request_user(request)
    raw = request.query_params.get("pensioner")
    if raw in (None, ""):
        pensioner = pensioner_of_user(user=actor)
        if pensioner is None:
            raise NotFoundError(
                _("Your account is not linked to a pensioner. Choose the person you act for."),
                code="no_pensioner",
            )
        return pensioner
    pensioner = pensioner_get_for_actor(actor=actor, pensioner_id=raw)
    if pensioner.user_id != request.user.pk:
        audit_record(actor=actor, action=action, target=pensioner, request=request)
    return pensioner


class DisplaySerializer(serializers.Serializer):
    title = serializers.CharField()
    sentence = serializers.CharField()
    action = serializers.CharField(help_text="none | start_face_certification | view_history | call_hotline")
    action_label = serializers.CharField()


class BenefitLineSerializer(serializers.Serializer):
    kind = serializers.CharField(
        help_text="enterprise | institution | urban_rural | work_injury | survivor | old_age_allowance"
    )
    kind_label = serializers.CharField()
    status = serializers.CharField(help_text="active | held | suspended | terminated")
    status_label = serializers.CharField()
    sentence = serializers.CharField(help_text="one plain sentence for elder mode")


class CertificationStatusApi(APIView):
    """Certification state, next due date and an elder-mode display block."""

    class OutputSerializer(serializers.Serializer):
        pensioner_id = serializers.IntegerField()
        name = serializers.CharField()
        state = serializers.CharField(help_text="certified | due_soon | overdue | suspended | terminated | deceased")
        benefit_status = serializers.CharField()
        next_due = serializers.DateField(allow_null=True)
        days_left = serializers.IntegerField(allow_null=True)
        last_certified_at = serializers.DateTimeField(allow_null=True)
        last_method = serializers.CharField(allow_null=True)
        last_method_label = serializers.CharField(allow_null=True)
        display = DisplaySerializer()
        benefits = BenefitLineSerializer(
            many=True, help_text="every benefit the person holds; one certification counts for all"
        )

    @extend_schema(
        parameters=[PENSIONER_PARAM], responses={200: OutputSerializer, **ERROR_RESPONSES}, tags=["certification"]
    )
    def get(self, request: Request) -> Response:
        pensioner = resolve_subject(request, action="certification.status.read")
        status = certification_status(pensioner=pensioner, for_self=pensioner.user_id == request.user.pk)
        # The app's most frequent call: a plain dict in the OutputSerializer's shape (DRF builds its
        # fields per instance, which cost more than the rest of this view). A test holds the two equal.
        last = status.last_certified_at
        return Response(
            {
                "pensioner_id": pensioner.pk,
                "name": pensioner.name,
                "state": status.state.value,
                "benefit_status": status.benefit_status,
                "next_due": status.next_due.isoformat() if status.next_due else None,
                "days_left": status.days_left,
                "last_certified_at": timezone.localtime(last).isoformat() if last else None,
                "last_method": status.last_method,
                "last_method_label": status.last_method_label,
                "display": {
                    "title": status.display.title,
                    "sentence": status.display.sentence,
                    "action": status.display.action.value,
                    "action_label": status.display.action_label,
                },
                "benefits": [
                    {
                        "kind": line.kind,
                        "kind_label": line.kind_label,
                        "status": line.status,
                        "status_label": line.status_label,
                        "sentence": line.sentence,
                    }
                    for line in status.benefits
                ],
            }
        )


class CertificationHistoryApi(ListAPIView):
    """Past certifications, newest first, paginated."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        method = serializers.CharField()
        method_label = serializers.CharField(source="get_method_display")
        certified_at = serializers.DateTimeField()
        valid_until = serializers.DateField()

    serializer_class = OutputSerializer
    pagination_class = DefaultPagination
    filter_backends = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        pensioner = resolve_subject(self.request, action="certification.history.read")
        return certification_history(pensioner=pensioner)

    @extend_schema(
        parameters=[PENSIONER_PARAM],
        tags=["certification"],
        responses={200: OutputSerializer(many=True), **ERROR_RESPONSES},
    )
    def get(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        return super().get(request, *args, **kwargs)
