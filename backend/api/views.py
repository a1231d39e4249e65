from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api.schema import ERROR_RESPONSES


class PingApi(APIView):
    """Am I still logged in? The cheapest authenticated call (the app's start screen uses it)."""

    @extend_schema(
        responses={200: inline_serializer("Ping", {"ok": serializers.BooleanField()}), **ERROR_RESPONSES},
        tags=["me"],
    )
    def get(self, request: Request) -> Response:
        return Response({"ok": True})
