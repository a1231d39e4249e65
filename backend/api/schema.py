"""Shared OpenAPI pieces so every operation documents the one error shape."""

from drf_spectacular import openapi
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable error code, e.g. code_invalid, not_found")
    message = serializers.CharField(help_text="short Simplified Chinese message to show the user")
    fields = serializers.DictField(help_text="per-field messages for invalid input")


ERROR_RESPONSES = {
    400: OpenApiResponse(ErrorSerializer, description="invalid input"),
    401: OpenApiResponse(ErrorSerializer, description="not logged in"),
    404: OpenApiResponse(ErrorSerializer, description="not found or not in your scope"),
    429: OpenApiResponse(ErrorSerializer, description="too many requests"),
}


class AutoSchema(openapi.AutoSchema):
    """Name nested ``Api.InputSerializer`` components after their API so they don't collide."""

    def get_serializer_name(self, serializer: serializers.Serializer, direction: str) -> str:
        qualname = type(serializer).__qualname__
        if "." in qualname:
            outer, inner = qualname.rsplit(".", 1)
            return outer.replace(".", "") + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)


class TokenAuthenticationScheme(KnoxTokenScheme):
    """Our knox subclass documents itself as knox's bearer scheme."""

    target_class = "accounts.auth.TokenAuthentication"


class SessionAuthenticationScheme(SessionScheme):
    """Our session subclass (OTP-verified staff, clear CSRF errors) documents itself as the cookie scheme."""

    target_class = "backend.api.auth.SessionAuthentication"
