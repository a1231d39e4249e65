from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle
from rest_framework.views import APIView

from accounts.idnumbers import mask_id_number
from accounts.models import RelativeLink
from accounts.phones import mask_phone, normalize_mainland_mobile
from accounts.selectors import (
    access_log_actor,
    access_log_events,
    link_requests_for_me,
    pensioner_of_user,
    pensioners_actable,
    relative_links_of,
    user_roles,
)
from accounts.services import (
    code_requester,
    device_key_for,
    login_code_request,
    login_with_code,
    relative_link_pensioner_decide,
    relative_link_request,
    token_revoke,
    token_revoke_all,
)
from backend.api.clients import client_ip
from backend.api.errors import NotFoundError
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES
from notifications.texts import mask_name

CODE_FORMAT_MESSAGE = _("The code is 6 digits.")
CURRENT_DEVICE = "current"  # path value meaning "the token of this request"


class MainlandPhoneField(serializers.CharField):
    def to_internal_value(self, data: object) -> str:
        value = super().to_internal_value(data)
        try:
            return normalize_mainland_mobile(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="phone_invalid") from exc


class ClientDailyThrottle(SimpleRateThrottle):
    """Per client address and day, whatever the phone: bounds SMS pumping to many numbers from one client."""

    scope = "login_code_daily"

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class AnonymousLoginApi(APIView):
    """Login endpoints: open to anyone, throttled per client as a first line (limits live in the DB)."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = [ScopedRateThrottle, ClientDailyThrottle]
    throttle_scope = "login_code"


class LoginCodeRequestApi(AnonymousLoginApi):
    """Send a 6-digit login code to a mainland mobile number."""

    class InputSerializer(serializers.Serializer):
        phone = MainlandPhoneField(max_length=32)
        device_key = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=64,
            help_text="the device_key this phone's app received at its last login (strangers cannot "
            "then use up this phone's daily codes)",
        )

    class OutputSerializer(serializers.Serializer):
        sent = serializers.BooleanField()
        expires_in = serializers.IntegerField(help_text="seconds")
        resend_after = serializers.IntegerField(help_text="seconds")

    @extend_schema(request=InputSerializer, responses={202: OutputSerializer, **ERROR_RESPONSES}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        phone = serializer.validated_data["phone"]
        requester = code_requester(
            phone=phone, ip=client_ip(request), device_key=serializer.validated_data.get("device_key", "")
        )
        login_code_request(phone=phone, requester=requester)
        data = {
            "sent": True,
            "expires_in": settings.LOGIN_CODE_TTL_SECONDS,
            "resend_after": settings.LOGIN_CODE_RESEND_SECONDS,
        }
        return Response(self.OutputSerializer(data).data, status=status.HTTP_202_ACCEPTED)


class LoginApi(AnonymousLoginApi):
    """Exchange phone + code for a per-device API token (send as ``Authorization: Bearer <token>``)."""

    class InputSerializer(serializers.Serializer):
        phone = MainlandPhoneField(max_length=32)
        code = serializers.RegexField(r"^\s*[0-9]{6}\s*$", error_messages={"invalid": CODE_FORMAT_MESSAGE})
        otp_token = serializers.CharField(
            required=False, allow_blank=True, max_length=16, help_text="staff only: the authenticator app's code"
        )

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        token_key = serializers.CharField(help_text="identifies this device's token for logout")
        expiry = serializers.DateTimeField()
        user_id = serializers.IntegerField()
        roles = serializers.ListField(child=serializers.CharField())
        device_key = serializers.CharField(help_text="keep it and send it with later code requests")

    @extend_schema(request=InputSerializer, responses={200: OutputSerializer, **ERROR_RESPONSES}, tags=["auth"])
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, instance, token = login_with_code(
            phone=serializer.validated_data["phone"],
            code=serializer.validated_data["code"].strip(),
            otp_token=serializer.validated_data.get("otp_token", ""),
            request=request,
        )
        data = {
            "token": token,
            "token_key": instance.token_key,
            "expiry": instance.expiry,
            "user_id": user.pk,
            "roles": sorted(user_roles(user)),
            "device_key": device_key_for(phone=serializer.validated_data["phone"]),
        }
        return Response(self.OutputSerializer(data).data)


class DeviceListApi(APIView):
    """The devices (tokens) logged in to this account, to cut off a lost phone."""

    class OutputSerializer(serializers.Serializer):
        token_key = serializers.CharField()
        created = serializers.DateTimeField()
        expiry = serializers.DateTimeField(allow_null=True)
        current = serializers.BooleanField()

    @extend_schema(responses={200: OutputSerializer(many=True), **ERROR_RESPONSES}, tags=["auth"])
    def get(self, request: Request) -> Response:
        current = getattr(request.auth, "token_key", None)
        tokens = AuthToken.objects.filter(user=request.user).order_by("-created")
        data = [
            {"token_key": t.token_key, "created": t.created, "expiry": t.expiry, "current": t.token_key == current}
            for t in tokens
        ]
        return Response(self.OutputSerializer(data, many=True).data)


class DeviceLogoutApi(APIView):
    """Log out one device: ``current`` for this one, or the ``token_key`` of another."""

    @extend_schema(request=None, responses={204: None, **ERROR_RESPONSES}, tags=["auth"])
    def delete(self, request: Request, token_key: str) -> Response:
        if token_key == CURRENT_DEVICE:
            token_key = getattr(request.auth, "token_key", "")
        token_revoke(user=request.user, token_key=token_key, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllApi(APIView):
    """Log out every device of this account at once."""

    class OutputSerializer(serializers.Serializer):
        revoked = serializers.IntegerField()

    @extend_schema(request=None, responses={200: OutputSerializer, **ERROR_RESPONSES}, tags=["auth"])
    def post(self, request: Request) -> Response:
        revoked = token_revoke_all(user=request.user, request=request)
        return Response({"revoked": revoked})


class PensionerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    relationship = serializers.CharField(allow_null=True)

    def get_id_number_masked(self, obj) -> str:  # type: ignore[no-untyped-def]
        return mask_id_number(obj.id_number)


class MeApi(APIView):
    """Who I am, my roles, and the pensioners I may act for."""

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        name = serializers.CharField()
        phone_masked = serializers.CharField()
        roles = serializers.ListField(child=serializers.CharField())
        pensioner_id = serializers.IntegerField(allow_null=True, help_text="my own registry row, if I am a pensioner")
        acts_for = PensionerBriefSerializer(many=True)
        villages = serializers.ListField(child=serializers.DictField(), help_text="village assistants: my villages")

    @extend_schema(responses={200: OutputSerializer, **ERROR_RESPONSES}, tags=["me"])
    def get(self, request: Request) -> Response:
        user = request.user
        links = {
            link.pensioner_id: link.relationship
            for link in RelativeLink.objects.filter(relative=user, status=RelativeLink.Status.APPROVED)
        }
        acts_for = []
        own_id = None
        for pensioner in pensioners_actable(actor=user):
            if pensioner.user_id == user.pk:
                own_id = pensioner.pk
            pensioner.relationship = links.get(pensioner.pk)
            acts_for.append(pensioner)
        data = {
            "id": user.pk,
            "name": user.get_full_name() or mask_phone(user.phone) or user.username,
            "phone_masked": mask_phone(user.phone),
            "roles": sorted(user_roles(user)),
            "pensioner_id": own_id,
            "acts_for": acts_for,
            "villages": [{"code": v.code, "name": v.name} for v in user.villages.order_by("code")],
        }
        return Response(self.OutputSerializer(data).data)


class RelativeLinkOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    pensioner = PensionerBriefSerializer(source="pensioner_brief")
    relationship = serializers.CharField()
    status = serializers.CharField(help_text="approved, or revoked (also when the pensioner refused)")
    requested_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)


def _link_payload(link: RelativeLink) -> dict:
    pensioner = link.pensioner
    pensioner.relationship = link.relationship
    return {
        "id": link.pk,
        "pensioner_brief": pensioner,
        "relationship": link.relationship,
        "status": link.status,
        "requested_at": link.requested_at,
        "decided_at": link.decided_at,
    }


class RelativeLinkRequestThrottle(ScopedRateThrottle):
    """Per signed-in user: bounds guessing (ID number, name) pairs and SMS to pensioners."""

    scope_attr = "link_throttle_scope"


class RelativeLinkListCreateApi(APIView):
    """Ask to act for a family member; list my decided links (approved or refused).

    The answer to a request is the same whether or not the ID number and name match someone, and
    takes at least ``RELATIVE_LINK_MIN_RESPONSE_SECONDS``: only the pensioner, if they exist, gets an
    SMS, and answers it from their own phone or app.
    """

    link_throttle_scope = "relative_link"

    class InputSerializer(serializers.Serializer):
        id_number = serializers.CharField(max_length=24)
        name = serializers.CharField(max_length=50)
        relationship = serializers.ChoiceField(choices=RelativeLink.Relationship.choices)
        requester_name = serializers.CharField(
            max_length=40, help_text="your own name, shown masked in the SMS to the pensioner"
        )

    class SubmittedSerializer(serializers.Serializer):
        status = serializers.CharField(help_text='always "submitted"')
        message = serializers.CharField()

    def get_throttles(self) -> list:  # type: ignore[type-arg]
        if self.request.method == "POST":
            return [RelativeLinkRequestThrottle()]
        return []

    @extend_schema(responses={200: RelativeLinkOutputSerializer(many=True), **ERROR_RESPONSES}, tags=["relatives"])
    def get(self, request: Request) -> Response:
        links = relative_links_of(relative=request.user)
        return Response(RelativeLinkOutputSerializer([_link_payload(link) for link in links], many=True).data)

    @extend_schema(request=InputSerializer, responses={202: SubmittedSerializer, **ERROR_RESPONSES}, tags=["relatives"])
    def post(self, request: Request) -> Response:
        started = time.monotonic()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        relative_link_request(relative=request.user, request=request, **serializer.validated_data)
        # Same timing class for a match and a miss: no answer before the floor.
        remaining = settings.RELATIVE_LINK_MIN_RESPONSE_SECONDS - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        body = {
            "status": "submitted",
            "message": _(
                "If the name and ID number match our records, the pensioner gets an SMS on their registered "
                "phone and answers it themselves, or in their own app. Once they agree, they appear in your list."
            ),
        }
        return Response(self.SubmittedSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class LinkRequestForMeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    requester_name = serializers.CharField(help_text="masked")
    requester_phone = serializers.CharField(help_text="masked")
    relationship = serializers.CharField()
    requested_at = serializers.DateTimeField()


def _request_for_me_payload(link: RelativeLink) -> dict:
    return {
        "id": link.pk,
        "requester_name": mask_name(link.requester_name),
        "requester_phone": mask_phone(link.relative.phone),
        "relationship": link.relationship,
        "requested_at": link.requested_at,
    }


class LinkRequestsForMeApi(APIView):
    """Pending requests from people who asked to act for me (the signed-in pensioner)."""

    @extend_schema(responses={200: LinkRequestForMeSerializer(many=True), **ERROR_RESPONSES}, tags=["relatives"])
    def get(self, request: Request) -> Response:
        links = link_requests_for_me(user=request.user)
        return Response(LinkRequestForMeSerializer([_request_for_me_payload(link) for link in links], many=True).data)


class LinkRequestDecideApi(APIView):
    """Approve or refuse one pending request made for me (the signed-in pensioner)."""

    approve = True

    @extend_schema(request=None, responses={200: RelativeLinkOutputSerializer, **ERROR_RESPONSES}, tags=["relatives"])
    def post(self, request: Request, link_id: int) -> Response:
        pensioner = pensioner_of_user(user=request.user)
        if pensioner is None:
            raise NotFoundError()
        link = relative_link_pensioner_decide(
            link_id=link_id, pensioner=pensioner, approve=self.approve, via="app", request=request
        )
        return Response(RelativeLinkOutputSerializer(_link_payload(link)).data)


class LinkRequestDeclineApi(LinkRequestDecideApi):
    """Refuse one pending request made for me (the signed-in pensioner)."""

    approve = False


class AccessLogApi(APIView):
    """Who read or changed my data, and when (PIPL right to know). Staff appear as role and office only."""

    pagination_class = DefaultPagination

    class OutputSerializer(serializers.Serializer):
        at = serializers.DateTimeField()
        action = serializers.CharField(help_text="machine code of what was done, e.g. certification.status.read")
        kind = serializers.ChoiceField(choices=["read", "change"])
        who_kind = serializers.ChoiceField(choices=["self", "relative", "assistant", "staff", "system"])
        who = serializers.CharField(help_text="role and office, never a staff member's name")

    @extend_schema(responses={200: OutputSerializer(many=True), **ERROR_RESPONSES}, tags=["me"])
    def get(self, request: Request) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(access_log_events(user=request.user), request, view=self)
        rows = []
        for event in page:
            who_kind, who = access_log_actor(actor=event.actor, subject=request.user)
            rows.append(
                {
                    "at": event.created_at,
                    "action": event.action,
                    "kind": "read" if event.action.endswith(".read") else "change",
                    "who_kind": who_kind,
                    "who": who,
                }
            )
        return paginator.get_paginated_response(self.OutputSerializer(rows, many=True).data)
