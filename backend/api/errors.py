"""One error shape for the whole API: ``{"code": "...", "message": "<Chinese>", "fields": {...}}``.

Domain code raises :class:`ApplicationError` (or a subclass) with a machine-readable code and a
translatable message; DRF, Django and unexpected exceptions are mapped here so that a client
never has to parse two formats and never sees an HTML 500 page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

logger = logging.getLogger(__name__)


class ApplicationError(Exception):
    """A domain rule said no. Services raise it; the API renders it."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_message = gettext_lazy("The request could not be processed.")

    def __init__(
        self,
        message: str | StrPromise | None = None,
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.message = force_str(message if message is not None else self.default_message)
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.fields = fields or {}
        self.extra = extra or {}
        super().__init__(self.message)


class NotFoundError(ApplicationError):
    """Used for both "does not exist" and "not yours", so existence never leaks."""

    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_message = gettext_lazy("The requested record was not found.")


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"
    default_message = gettext_lazy("The record was changed by someone else. Please reload and try again.")


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_message = gettext_lazy("You are not allowed to do this.")


class CsrfFailedError(ApplicationError):
    """A browser session call without the CSRF header: a client bug, not a missing permission."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "csrf_failed"
    default_message = gettext_lazy(
        "The security check of this page failed (CSRF). Please reload the page and try again."
    )


def error_body(code: str, message: str, fields: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": force_str(message), "fields": fields or {}}
    body.update(extra)
    return body


# DRF messages that are not marked for translation in DRF itself.
_UNTRANSLATED_DRF = {
    ("null", "No data provided"): gettext_lazy(
        "The request body is empty. Please send the information as a JSON object."
    ),
}


def _flatten(detail: Any) -> Any:
    """Turn DRF ErrorDetail trees into plain strings/lists/dicts of strings."""
    if isinstance(detail, dict):
        return {key: _flatten(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_flatten(value) for value in detail]
    replacement = _UNTRANSLATED_DRF.get((str(getattr(detail, "code", "")), force_str(detail)))
    return force_str(replacement if replacement is not None else detail)


_DRF_CODES: dict[type[exceptions.APIException], tuple[str, Any]] = {
    exceptions.NotAuthenticated: ("not_authenticated", gettext_lazy("Please log in first.")),
    exceptions.AuthenticationFailed: (
        "authentication_failed",
        gettext_lazy("Your login has expired or is invalid. Please log in again."),
    ),
    exceptions.PermissionDenied: ("permission_denied", gettext_lazy("You are not allowed to do this.")),
    exceptions.NotFound: ("not_found", gettext_lazy("The requested record was not found.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", gettext_lazy("This operation is not supported here.")),
    exceptions.NotAcceptable: ("not_acceptable", gettext_lazy("The requested response format is not supported.")),
    exceptions.UnsupportedMediaType: (
        "unsupported_media_type",
        gettext_lazy("The request body format is not supported."),
    ),
    exceptions.ParseError: ("malformed_request", gettext_lazy("The request body could not be read.")),
    exceptions.Throttled: ("too_many_requests", gettext_lazy("Too many requests. Please try again later.")),
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF ``EXCEPTION_HANDLER``: every error leaves in the same shape."""
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields, **exc.extra), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))

    if isinstance(exc, exceptions.ValidationError):
        detail = _flatten(exc.detail)
        if not isinstance(detail, dict):
            detail = {"non_field_errors": detail if isinstance(detail, list) else [detail]}
        return Response(
            error_body("invalid", _("Some of the information is missing or incorrect."), detail),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        code, message = "error", None
        for exc_type, (mapped_code, mapped_message) in _DRF_CODES.items():
            if isinstance(exc, exc_type):
                code, message = mapped_code, mapped_message
                break
        headers = {}
        if auth_header := getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = auth_header
        if wait := getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(wait))
        return Response(error_body(code, message or force_str(exc.detail)), status=exc.status_code, headers=headers)

    if isinstance(exc, DatabaseOperationalError | DatabaseInterfaceError):
        # The database is restarting or unreachable (or a lock or deadlock broke the transaction, which
        # was rolled back): a 503 with a short wait, which clients retry (reports carry a request id).
        view = context.get("view").__class__.__name__ if context else "?"
        logger.warning("Database unavailable in %s: %s", view, exc)
        return Response(
            error_body("service_unavailable", _("The service is temporarily unavailable. Please try again later.")),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "5"},
        )
    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__ if context else "?")
    return Response(
        error_body("server_error", _("The service is temporarily unavailable. Please try again later.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


@csrf_exempt  # an unknown URL is a 404 whatever the method; the CSRF page would be HTML
def not_found_view(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", _("The requested record was not found.")), status=404)


def server_error_view(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", _("The service is temporarily unavailable. Please try again later.")),
        status=500,
    )


def csrf_failure_view(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: API paths get the JSON shape; the admin keeps Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(CsrfFailedError.code, str(CsrfFailedError.default_message)), status=403)
    from django.views.csrf import csrf_failure

    return csrf_failure(request, reason=reason)
