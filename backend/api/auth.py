"""Session authentication for the API (staff signed in to the back office), with two differences from DRF's:

- with ``STAFF_OTP_REQUIRED`` a session not verified by a second factor does not authenticate;
- a missing or wrong CSRF token is its own error (``csrf_failed``), not "you are not allowed".
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import authentication
from rest_framework.request import Request

from backend.api.errors import CsrfFailedError


class SessionAuthentication(authentication.SessionAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = getattr(request._request, "user", None)
        verified = getattr(user, "is_verified", None)
        if getattr(settings, "STAFF_OTP_REQUIRED", False) and not (callable(verified) and verified()):
            return None
        return result

    def enforce_csrf(self, request: Request) -> None:
        try:
            super().enforce_csrf(request)
        except Exception as exc:
            raise CsrfFailedError() from exc
