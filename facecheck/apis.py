"""Face certification API: verify a selfie; staff enroll reference photos and read photos in scope."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.models import Pensioner
from accounts.selectors import (
    pensioner_get_for_actor,
    pensioner_of_user,
    relative_link_is_approved,
    user_is_staff_member,
)
from accounts.services import audit_record
from backend.api.errors import ApplicationError, NotFoundError
from backend.api.schema import ERROR_RESPONSES, ErrorSerializer
from facecheck import selectors, services
from facecheck.models import FaceAttempt, FaceTemplate

FACE_ERRORS = {
    **ERROR_RESPONSES,
    409: OpenApiResponse(ErrorSerializer, description="no reference photo enrolled, or benefit ended"),
    503: OpenApiResponse(ErrorSerializer, description="face models unavailable or templates being upgraded"),
}


def _read_upload(upload) -> bytes:  # type: ignore[no-untyped-def]
    """Read the upload unless it is already over the engine's byte cap (never buffer a huge body twice)."""
    from django.conf import settings

    from facecheck.engine import errors

    if upload.size is not None and upload.size > settings.FACECHECK_MAX_UPLOAD_BYTES:
        raise errors.FaceImageError(errors.IMAGE_TOO_BIG)
    return upload.read()


def _subject_for_verification(request: Request, pensioner_id: int | None) -> tuple[Pensioner, str]:
    """Myself (method face), or a pensioner I am an approved relative of (proxy_face); 404 otherwise."""
    actor = request_user(request)
    own = pensioner_of_user(user=actor)
    if pensioner_id is None or (own is not None and own.pk == pensioner_id):
        if own is None:
            raise NotFoundError(
                _("Your account is not linked to a pensioner. Choose the person you act for."), code="no_pensioner"
            )
        return own, FaceAttempt.Method.FACE
    pensioner = Pensioner.objects.filter(pk=pensioner_id).first()
    if pensioner is None or not relative_link_is_approved(relative=actor, pensioner=pensioner):
        raise NotFoundError()
    return pensioner, FaceAttempt.Method.PROXY_FACE


class FaceVerifyApi(APIView):
    """One selfie, no liveness actions. Self-certification, or proxy by an approved relative."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField(allow_empty_file=True, help_text="JPEG, PNG, WebP or HEIC photo")
        pensioner = serializers.IntegerField(
            required=False, min_value=1, help_text="certify for this pensioner as an approved relative"
        )

    class OutputSerializer(serializers.Serializer):
        result = serializers.ChoiceField(choices=["accepted", "review", "rejected", "replay"])
        message = serializers.CharField()
        attempt_id = serializers.UUIDField()
        method = serializers.CharField()
        attempts_left = serializers.IntegerField()
        next_due = serializers.DateField(allow_null=True)
        certification_id = serializers.IntegerField(allow_null=True)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={200: OutputSerializer, **FACE_ERRORS},
        tags=["face certification"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pensioner, method = _subject_for_verification(request, serializer.validated_data.get("pensioner"))
        image = _read_upload(serializer.validated_data["image"])
        outcome = services.face_verify(
            actor=request_user(request), pensioner=pensioner, image=image, method=method, request=request
        )
        attempt = outcome.attempt
        data = {
            "result": attempt.result,
            "message": outcome.message,
            "attempt_id": attempt.public_id,
            "method": attempt.method,
            "attempts_left": outcome.attempts_left,
            "next_due": pensioner.next_due,
            "certification_id": attempt.certification_id,
        }
        return Response(self.OutputSerializer(data).data)


class FaceEnrollApi(APIView):
    """Staff in scope enroll (or replace) a pensioner's reference photo."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        image = serializers.FileField(allow_empty_file=True)
        pensioner = serializers.IntegerField(min_value=1)

    class OutputSerializer(serializers.Serializer):
        template_id = serializers.IntegerField(source="pk")
        pensioner_id = serializers.IntegerField()
        model_id = serializers.CharField()
        quality = serializers.DictField()
        created_at = serializers.DateTimeField()

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: OutputSerializer, **FACE_ERRORS},
        tags=["face certification"],
    )
    def post(self, request: Request) -> Response:
        actor = request_user(request)
        if not user_is_staff_member(actor):
            raise NotFoundError()
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pensioner = pensioner_get_for_actor(actor=actor, pensioner_id=serializer.validated_data["pensioner"])
        if not request.user.has_perm("facecheck.add_facetemplate"):
            raise ApplicationError(_("You are not allowed to do this."), code="permission_denied", status_code=403)
        image = _read_upload(serializer.validated_data["image"])
        template = services.face_template_enroll(pensioner=pensioner, image=image, enrolled_by=actor, request=request)
        return Response(self.OutputSerializer(template).data, status=status.HTTP_201_CREATED)


def _photo_response(field_file, name: str) -> FileResponse:  # type: ignore[no-untyped-def]
    if not field_file:
        raise NotFoundError()
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise NotFoundError() from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="{name}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


class FaceTemplatePhotoApi(APIView):
    """An enrolled photo, for staff whose region covers the pensioner (every read is audited)."""

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(), **FACE_ERRORS}, tags=["face certification"])
    def get(self, request: Request, template_id: int) -> FileResponse:
        actor = request_user(request)
        template: FaceTemplate = selectors.face_template_get_for_staff(actor=actor, template_id=template_id)
        audit_record(actor=actor, action="facecheck.template.photo.read", target=template, request=request)
        return _photo_response(template.photo, f"template-{template.pk}")


class FaceAttemptPhotoApi(APIView):
    """The selfie of an attempt (kept for accepted, review and replay results), for staff in scope."""

    @extend_schema(responses={(200, "image/jpeg"): OpenApiResponse(), **FACE_ERRORS}, tags=["face certification"])
    def get(self, request: Request, attempt_id: str) -> FileResponse:
        actor = request_user(request)
        attempt = selectors.face_attempt_get_for_staff(actor=actor, public_id=attempt_id)
        audit_record(actor=actor, action="facecheck.attempt.photo.read", target=attempt, request=request)
        return _photo_response(attempt.photo, f"attempt-{attempt.public_id}")
