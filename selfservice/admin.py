from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin_search import PENSIONER_SEARCH, BlindIndexSearchMixin
from accounts.auth import request_user
from accounts.selectors import pensioners_in_scope, scoped
from backend.admin_utils import ReadOnlyAdminMixin
from selfservice.models import Benefit, Certification


@admin.register(Certification)
class CertificationAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only list; certifications are recorded through services (face, on-site, silent)."""

    list_display = ["pensioner", "method", "certified_at", "valid_until", "recorded_by"]
    list_filter = ["method"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    date_hierarchy = "certified_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certification]:
        return super().get_queryset(request).filter(pensioner__in=pensioners_in_scope(actor=request_user(request)))


@admin.register(Benefit)
class BenefitAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    """Benefits in the staff member's area. Status changes only through the benefit services
    (cases, certification); the amount only for holders of ``accounts.set_benefit_amount``."""

    list_display = ["pensioner", "kind", "status", "status_reason", "status_since", "monthly_amount", "paying_office"]
    list_filter = ["kind", "status", "status_reason", "requires_certification"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    raw_id_fields = ["pensioner", "paying_office"]
    readonly_fields = ["pensioner", "kind", "status", "status_since", "status_reason", "start_date", "created_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Benefit]:
        return scoped(super().get_queryset(request), actor=request_user(request), path="pensioner").select_related(
            "pensioner", "paying_office"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # granted through the benefit service, which keeps the person's summary in step

    def has_delete_permission(self, request: HttpRequest, obj: Benefit | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Benefit | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if not request.user.has_perm("accounts.set_benefit_amount"):
            fields.append("monthly_amount")
        return fields
