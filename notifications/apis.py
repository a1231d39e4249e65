"""Twilio webhooks: delivery reports and inbound messages.

Both are unauthenticated by design (twilio calls them) and trust nothing until the
``X-Twilio-Signature`` header checks out against the URL twilio called, which we rebuild from
``PUBLIC_BASE_URL`` (never from the Host header, which a proxy may rewrite). A wrong or missing
signature gets 403 ``twilio_signature_invalid``.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from twilio.request_validator import RequestValidator

from backend.api.errors import ForbiddenError
from backend.api.schema import ErrorSerializer
from notifications.services import sms_inbound_receive, sms_status_update

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
WEBHOOK_ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input"),
    403: OpenApiResponse(ErrorSerializer, description="missing or wrong X-Twilio-Signature"),
}


class TwilioSignatureRequired:
    """Mixin for webhook views: check the signature before reading anything else."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    parser_classes = [FormParser]
    throttle_classes: list = []

    def initial(self, request: Request, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        token = settings.TWILIO_AUTH_TOKEN
        if not token:
            raise ForbiddenError(_("SMS webhooks are not configured on this server."), code="twilio_not_configured")
        url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signature or not RequestValidator(token).validate(url, request.data, signature):
            raise ForbiddenError(_("The request signature is not valid."), code="twilio_signature_invalid")


class SmsStatusCallbackApi(TwilioSignatureRequired, APIView):
    """Twilio delivery report for one message. Repeats and out-of-order reports are harmless."""

    class InputSerializer(serializers.Serializer):
        MessageSid = serializers.CharField(max_length=64)
        MessageStatus = serializers.CharField(max_length=32)
        ErrorCode = serializers.CharField(max_length=10, required=False, allow_blank=True)

    @extend_schema(
        request={"application/x-www-form-urlencoded": InputSerializer},
        parameters=[OpenApiParameter("o", int, required=False, description="our outbox id, set in the callback URL")],
        responses={204: None, **WEBHOOK_ERRORS},
        tags=["sms"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw_id = request.query_params.get("o", "")
        data = serializer.validated_data
        sms_status_update(
            provider_message_id=data["MessageSid"],
            provider_status=data["MessageStatus"],
            error_code=data.get("ErrorCode", ""),
            outbox_id=int(raw_id) if raw_id.isdigit() else None,
        )
        return Response(status=204)


class SmsInboundApi(TwilioSignatureRequired, APIView):
    """A message someone sent to our number: opt-out/opt-in keywords, or a question for the chatbot."""

    class InputSerializer(serializers.Serializer):
        MessageSid = serializers.CharField(max_length=64)
        From = serializers.CharField(max_length=32)
        To = serializers.CharField(max_length=32, required=False, allow_blank=True)
        Body = serializers.CharField(max_length=1600, required=False, allow_blank=True, trim_whitespace=False)
        OptOutType = serializers.CharField(max_length=10, required=False, allow_blank=True)

    @extend_schema(
        request={"application/x-www-form-urlencoded": InputSerializer},
        responses={(200, "text/xml"): OpenApiResponse(description="empty TwiML"), **WEBHOOK_ERRORS},
        tags=["sms"],
        auth=[],
    )
    def post(self, request: Request) -> HttpResponse:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        sms_inbound_receive(
            provider_message_id=data["MessageSid"],
            from_phone=data["From"],
            to_phone=data.get("To", ""),
            text=data.get("Body", ""),
            opt_out_type=data.get("OptOutType", ""),
        )
        # Replies go through the outbox (deduplicated, recorded), so twilio gets an empty answer.
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")
