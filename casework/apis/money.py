"""Payments, held months and overpayment recovery."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.services import audit_record
from backend.api.errors import NotFoundError
from backend.api.pagination import DefaultPagination
from casework import selectors, services
from casework.apis.common import ERRORS, CasePensionerSerializer, MonthField, page, query
from casework.models import Overpayment


class LedgerLineSerializer(serializers.Serializer):
    period = MonthField()
    kind = serializers.CharField(help_text="regular | back_pay")
    status = serializers.CharField(help_text="paid | held")
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_on = serializers.DateField(allow_null=True)
    account_last4 = serializers.CharField()


class PaymentListApi(APIView):
    """Monthly payments of a pensioner (self, approved relative, staff in scope), newest first."""

    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

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
        actor = request_user(request)
        pensioner = selectors.pensioner_for_money(actor=actor, pensioner_id=pensioner_id)
        if pensioner.user_id != request.user.pk:
            audit_record(actor=actor, action="payments.read", target=pensioner, request=request)
        response = page(request, self, selectors.ledger_for_pensioner(pensioner=pensioner), LedgerLineSerializer)
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
    pagination_class = DefaultPagination  # what page() uses; documents the paginated envelope

    class FilterSerializer(serializers.Serializer):
        recovery_status = serializers.ChoiceField(choices=Overpayment.RecoveryStatus.choices, required=False)

    @extend_schema(
        parameters=[FilterSerializer], responses={200: OverpaymentSerializer(many=True), **ERRORS}, tags=["payments"]
    )
    def get(self, request: Request) -> Response:
        filters = query(self.FilterSerializer, request)
        queryset = selectors.overpayments_in_scope(actor=request_user(request)).order_by("-created_at")
        if filters.get("recovery_status"):
            queryset = queryset.filter(recovery_status=filters["recovery_status"])
        return page(request, self, queryset, OverpaymentSerializer)


class OverpaymentRecoveryCreateApi(APIView):
    """Book an amount recovered from the estate (idempotent by ``client_request_id``)."""

    class InputSerializer(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
        client_request_id = serializers.UUIDField()

    @extend_schema(request=InputSerializer, responses={201: OverpaymentSerializer, **ERRORS}, tags=["payments"])
    def post(self, request: Request, overpayment_id: int) -> Response:
        actor = request_user(request)
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        overpayment = selectors.overpayments_in_scope(actor=actor).filter(pk=overpayment_id).first()
        if overpayment is None:
            raise NotFoundError()
        _recovery, created = services.overpayment_recovery_record(
            overpayment=overpayment, actor=actor, request=request, **serializer.validated_data
        )
        overpayment.refresh_from_db()
        return Response(
            OverpaymentSerializer(overpayment).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
