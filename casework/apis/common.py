"""What every casework API shares: error documentation, the month field, paging, query parsing."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.idnumbers import mask_id_number
from backend.api.pagination import DefaultPagination
from backend.api.schema import ERROR_RESPONSES, ErrorSerializer

MAX_ID = 2**63 - 1  # database integer range: larger ids are invalid input, not a server error


ERRORS = {
    **ERROR_RESPONSES,
    403: OpenApiResponse(ErrorSerializer, description="your role or duties do not allow this step"),
    409: OpenApiResponse(ErrorSerializer, description="the record changed state, or was already submitted"),
}


UPLOAD_ERRORS = {
    **ERRORS,
    413: OpenApiResponse(ErrorSerializer, description="file too large"),
    415: OpenApiResponse(ErrorSerializer, description="not a JPEG, PNG or PDF (checked by content)"),
    429: OpenApiResponse(ErrorSerializer, description="daily upload quota reached (evidence_quota_exceeded)"),
}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "example": "2026-10"})
class MonthField(serializers.Field):
    """``YYYY-MM`` → the first day of that month."""

    default_error_messages = {"invalid": _("Use the form YYYY-MM, e.g. 2026-10.")}
    _pattern = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")

    def to_internal_value(self, data: object) -> datetime.date:
        match = self._pattern.match(str(data).strip()) if isinstance(data, str) else None
        if match is None or int(match.group(1)) < 1900:
            self.fail("invalid")
        return datetime.date(int(match.group(1)), int(match.group(2)), 1)

    def to_representation(self, value: datetime.date) -> str:
        return value.strftime("%Y-%m")


def page(request: Request, view: APIView, queryset: Any, serializer_class: type, **context: Any) -> Response:
    paginator = DefaultPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True, context=context).data)


def query(serializer_class: type, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class CasePensionerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    id_number_masked = serializers.SerializerMethodField()
    village_code = serializers.CharField(source="region.code")
    village_name = serializers.CharField(source="region.name")
    benefit_status = serializers.CharField()

    def get_id_number_masked(self, obj) -> str:  # type: ignore[no-untyped-def]
        return mask_id_number(obj.id_number)
