from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.selectors import pensioners_in_scope
from backend.admin_utils import ReadOnlyAdminMixin
from selfservice.models import Certification


@admin.register(Certification)
class CertificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only list; certifications are recorded through services (face, on-site, silent)."""

    list_display = ["pensioner", "method", "certified_at", "valid_until", "recorded_by"]
    list_filter = ["method"]
    search_fields = ["pensioner__name", "pensioner__id_number"]
    date_hierarchy = "certified_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Certification]:
        return super().get_queryset(request).filter(pensioner__in=pensioners_in_scope(actor=request.user))
