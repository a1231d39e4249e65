from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_search import BlindIndexSearchMixin
from accounts.auth import request_user
from accounts.lookups import ID_NUMBER, NAME, PHONE
from accounts.models import AuditEvent, Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.selectors import pensioners_in_scope
from accounts.services import relative_link_decide
from backend.admin_utils import ReadOnlyAdminMixin
from backend.api.errors import ApplicationError


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


class VillageAssignmentInline(admin.TabularInline):
    model = VillageAssignment
    fk_name = "user"
    extra = 0
    raw_id_fields = ["village"]


@admin.register(User)
class UserAdmin(BlindIndexSearchMixin, DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("Service"), {"fields": ("phone", "region")}),
    )
    list_display = ["username", "first_name", "phone", "region", "is_staff"]
    search_fields = ["username", "first_name"]
    blind_search_fields = {"phone_bidx": PHONE}
    raw_id_fields = ["region"]
    inlines = [VillageAssignmentInline]


@admin.register(Pensioner)
class PensionerAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    """Staff see only their region subtree; status fields change only through services."""

    list_display = ["name", "id_number", "region", "benefit_status", "next_due"]
    sortable_by = ["region", "benefit_status", "next_due"]  # name and ID number are encrypted: no sort
    list_filter = ["benefit_status", "suspension_reason"]
    search_fields = ["=pk"]
    blind_search_fields = {"id_number_bidx": ID_NUMBER, "name_bidx": NAME, "phone_bidx": PHONE}
    raw_id_fields = ["region", "user", "last_certification"]
    readonly_fields = [
        "birth_date",
        "sex",
        "benefit_status",
        "status_since",
        "suspension_reason",
        "deceased_on",
        "next_due",
        "last_certification",
        "created_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Pensioner]:
        return pensioners_in_scope(actor=request_user(request)).select_related("region")

    def get_readonly_fields(self, request: HttpRequest, obj: Pensioner | None = None) -> list[str]:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields.append("id_number")
        return fields


@admin.register(RelativeLink)
class RelativeLinkAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    list_display = ["relative", "pensioner", "relationship", "status", "requested_at", "approved_via"]
    list_filter = ["status", "relationship"]
    search_fields = ["=pk"]
    blind_search_fields = {
        "relative__phone_bidx": PHONE,
        "pensioner__name_bidx": NAME,
        "pensioner__id_number_bidx": ID_NUMBER,
    }
    readonly_fields = ["relative", "pensioner", "status", "approved_by", "approved_via", "requested_at", "decided_at"]
    actions = ["approve", "revoke"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RelativeLink]:
        return super().get_queryset(request).filter(pensioner__in=pensioners_in_scope(actor=request_user(request)))

    def _decide(self, request: HttpRequest, queryset: QuerySet[RelativeLink], *, approve: bool) -> None:
        done = 0
        for link in queryset:
            try:
                relative_link_decide(link=link, staff=request_user(request), approve=approve, request=request)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{link}: {exc.message}", level=messages.WARNING)
        self.message_user(request, _("%(count)d links updated.") % {"count": done})

    @admin.action(description=_("Approve selected requests"))
    def approve(self, request: HttpRequest, queryset: QuerySet[RelativeLink]) -> None:
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Revoke selected links"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[RelativeLink]) -> None:
        self._decide(request, queryset, approve=False)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the trail cannot be edited or deleted from the admin either."""

    list_display = ["created_at", "actor", "action", "target_type", "target_id", "client_ip"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor__username"]
    date_hierarchy = "created_at"
