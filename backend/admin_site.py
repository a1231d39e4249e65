"""The back office: titled as the service, and behind a second factor for staff when required.

``STAFF_OTP_REQUIRED`` (on by default with ``DEBUG=False``): a staff member signs in with username,
password *and* a TOTP code from an authenticator app (django-otp); a session that was not verified
with a device is treated as not staff. Wrong passwords are counted and locked out by django-axes.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from backend.api.errors import error_body


def staff_otp_required() -> bool:
    return bool(getattr(settings, "STAFF_OTP_REQUIRED", False))


class ServiceAdminSite(OTPAdminSite):
    site_header = gettext_lazy("Pension eligibility certification · back office")
    site_title = gettext_lazy("Pension eligibility certification")
    index_title = gettext_lazy("Back office")

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    @property  # type: ignore[override]
    def login_form(self) -> type[AdminAuthenticationForm]:
        return OTPAdminAuthenticationForm if staff_otp_required() else AdminAuthenticationForm

    @property  # type: ignore[override]
    def login_template(self) -> str | None:
        return "otp/admin111/login.html" if staff_otp_required() else None

    def has_permission(self, request: HttpRequest) -> bool:
        if staff_otp_required():
            return super().has_permission(request)
        return super(OTPAdminSite, self).has_permission(request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict[str, Any] | None = None
) -> HttpResponse:
    """django-axes' answer once an account is locked: the API error shape, in Chinese."""
    message = _("Too many failed sign-in attempts. The account is locked for %(minutes)d minutes.") % {
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    }
    return JsonResponse(error_body("account_locked", message), status=429)
