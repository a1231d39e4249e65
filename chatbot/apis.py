"""The app channel: send a message (or tap a button) and read the conversation history."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.auth import request_user
from backend.api.errors import ApplicationError
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES
from chatbot.models import Message
from chatbot.selectors import messages_of_user
from chatbot.services import chatbot_message_handle

MAX_TEXT = 2000


class ButtonSerializer(serializers.Serializer):
    label = serializers.CharField(help_text="what the button says (Simplified Chinese)")
    payload = serializers.CharField(help_text="send back as `payload` when the button is tapped")


class ActionSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="start_face_certification | call | open")
    pensioner_id = serializers.IntegerField(required=False, help_text="start_face_certification: who is certified")
    proxy = serializers.BooleanField(required=False, help_text="start_face_certification by a relative")
    phone = serializers.CharField(required=False, help_text="call: the number to dial")
    screen = serializers.CharField(required=False, help_text="open: app screen, e.g. relative_links")


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    direction = serializers.CharField(help_text="in (from the person) | out (from the assistant)")
    text = serializers.CharField(help_text="ID numbers are masked")
    buttons = ButtonSerializer(many=True)
    action = ActionSerializer(allow_null=True)
    created_at = serializers.DateTimeField()


class ChatbotMessagesApi(ListAPIView):
    """Talk to the assistant (POST) and read the history, newest first (GET)."""

    class InputSerializer(serializers.Serializer):
        text = serializers.CharField(
            max_length=MAX_TEXT,
            required=False,
            allow_blank=True,
            trim_whitespace=False,
            default="",
            error_messages={"max_length": _("The message is too long. Please keep it under 2,000 characters.")},
        )
        payload = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
        request_id = serializers.UUIDField(
            required=False, allow_null=True, default=None, help_text="client-generated; a retry returns the same reply"
        )

    class OutputSerializer(serializers.Serializer):
        conversation_id = serializers.IntegerField()
        message_id = serializers.IntegerField(help_text="id of the reply")
        reply = MessageOutputSerializer()
        intent = serializers.CharField(help_text="what the assistant understood (check_status, next_due, …)")
        confidence = serializers.FloatField(allow_null=True)
        state = serializers.CharField(help_text="the guided flow the conversation is in (idle when none)")

    serializer_class = MessageOutputSerializer
    pagination_class = DefaultPagination
    filter_backends = []

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return messages_of_user(user=self.request.user)

    @extend_schema(responses={200: MessageOutputSerializer(many=True), **ERROR_RESPONSES}, tags=["chatbot"])
    def get(self, request: Request, *args, **kwargs) -> Response:  # type: ignore[no-untyped-def]
        return super().get(request, *args, **kwargs)

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **ERROR_RESPONSES}, tags=["chatbot"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data["text"].strip() and not data["payload"].strip():
            message = _("Please type a question or tap a button.")
            raise ApplicationError(message, code="empty_message", fields={"text": [message]})
        reply, _created = chatbot_message_handle(
            user=request_user(request),
            text=data["text"],
            payload=data["payload"],
            client_request_id=data["request_id"],
            request=request,
        )
        inbound: Message = reply.reply_to  # type: ignore[assignment]
        body = {
            "conversation_id": reply.conversation_id,
            "message_id": reply.pk,
            "reply": reply,
            "intent": inbound.intent,
            "confidence": inbound.confidence,
            "state": reply.state,
        }
        return Response(self.OutputSerializer(body).data)
