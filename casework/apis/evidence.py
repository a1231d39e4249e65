"""Upload a photo or scan, and download one you may see (audited)."""

from __future__ import annotations

from django.http import FileResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.auth import request_user
from accounts.services import audit_record
from backend.api.errors import NotFoundError
from casework import selectors, services
from casework.apis.common import ERRORS, UPLOAD_ERRORS


class EvidenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    created_at = serializers.DateTimeField()


class EvidenceUploadApi(APIView):
    """Upload one photo or scan (JPEG, PNG or PDF, checked by content); attach it by ``id`` afterwards."""

    parser_classes = [MultiPartParser, FormParser]

    class InputSerializer(serializers.Serializer):
        file = serializers.FileField(allow_empty_file=True, max_length=200)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: EvidenceOutputSerializer, **UPLOAD_ERRORS},
        tags=["evidence"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        evidence = services.evidence_upload(
            uploaded_by=request_user(request), upload=serializer.validated_data["file"], request=request
        )
        return Response(EvidenceOutputSerializer(evidence).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadApi(APIView):
    """The file itself, for its uploader and for staff whose scope covers a case it belongs to."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiResponse(), **ERRORS}, tags=["evidence"])
    def get(self, request: Request, evidence_id: int) -> FileResponse:
        actor = request_user(request)
        evidence = selectors.evidence_get_for_actor(actor=actor, evidence_id=evidence_id)
        if evidence.uploaded_by_id != request.user.pk:
            audit_record(actor=actor, action="evidence.read", target=evidence, request=request)
        try:
            handle = evidence.file.open("rb")
        except FileNotFoundError:
            raise NotFoundError() from None
        response = FileResponse(handle, content_type=evidence.content_type)
        response["Content-Disposition"] = f'attachment; filename="evidence-{evidence.pk}.{evidence.extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
