"""Staff edit the source registry and agencies; everything the rounds write is read-only here."""

from __future__ import annotations

import secrets

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_search import PENSIONER_SEARCH, BlindIndexSearchMixin
from accounts.selectors import Capability, scoped
from accounts.services import audit_record
from backend.admin_utils import ReadOnlyAdminMixin
from silent.models import (
    Agency,
    DataSource,
    Decision,
    EvidenceEvent,
    IdNumberMapping,
    IngestBatch,
    RoundReport,
    SurvivalGrade,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class PersonScopedAdmin(BlindIndexSearchMixin, ReadOnlyAdmin):
    """Rows about one pensioner: staff see their region subtree only (the one scope rule)."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        return scoped(queryset, actor=request.user, capability=Capability.CASEWORK, path="pensioner")


class DataSourceInline(admin.TabularInline):
    model = DataSource
    extra = 0
    fields = ["key", "name", "kind", "weight", "validity_days", "active"]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "active", "has_secret"]
    fields = ["key", "name", "active"]
    inlines = [DataSourceInline]
    actions = ["new_secret"]

    @admin.display(boolean=True, description=_("API access"))
    def has_secret(self, obj: Agency) -> bool:
        return bool(obj.secret)

    @admin.action(description=_("Generate a new API secret (shown once)"))
    def new_secret(self, request: HttpRequest, queryset: QuerySet[Agency]) -> None:
        for agency in queryset:
            agency.secret = secrets.token_urlsafe(32)
            agency.save(update_fields=["secret"])
            audit_record(actor=request.user, action="silent.agency_secret", target=agency)
            self.message_user(
                request, _("New secret of %(agency)s: %(secret)s") % {"agency": agency.key, "secret": agency.secret}
            )


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "agency", "kind", "weight", "validity_days", "active"]
    list_filter = ["kind", "active", "agency"]
    list_editable = ["weight", "validity_days", "active"]

    def save_model(self, request: HttpRequest, obj: DataSource, form, change: bool) -> None:  # type: ignore[no-untyped-def]
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action="silent.source_change",
            target=obj,
            details={"weight": str(obj.weight), "validity_days": obj.validity_days, "active": obj.active},
        )


@admin.register(IdNumberMapping)
class IdNumberMappingAdmin(admin.ModelAdmin):
    list_display = ["old_number", "new_number", "note", "created_at"]
    search_fields = ["old_number", "new_number"]


@admin.register(IngestBatch)
class IngestBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "source",
        "channel",
        "client_batch_id",
        "rows",
        "accepted",
        "duplicates",
        "rejected",
        "started_at",
    ]
    list_filter = ["channel", "source"]


@admin.register(EvidenceEvent)
class EvidenceEventAdmin(PersonScopedAdmin):
    list_display = ["pk", "source", "record_id", "pensioner", "event_date", "received_at"]
    list_filter = ["source"]
    search_fields = ["record_id"]
    blind_search_fields = PENSIONER_SEARCH
    raw_id_fields = ["pensioner", "batch"]
    show_full_result_count = False


@admin.register(SurvivalGrade)
class SurvivalGradeAdmin(PersonScopedAdmin):
    list_display = ["pensioner", "grade", "score", "weak_sources", "strong_seen_on", "weak_seen_on", "graded_on"]
    list_filter = ["grade", "death_signal"]
    blind_search_fields = PENSIONER_SEARCH
    show_full_result_count = False


@admin.register(RoundReport)
class RoundReportAdmin(ReadOnlyAdmin):
    list_display = ["run_on", "certified", "graded", "holds", "suspensions", "cases", "finished_at"]


@admin.register(Decision)
class DecisionAdmin(PersonScopedAdmin):
    list_display = ["created_at", "pensioner", "outcome", "trigger", "certification", "case"]
    list_filter = ["outcome"]
    blind_search_fields = PENSIONER_SEARCH
    raw_id_fields = ["pensioner", "trigger", "certification", "case"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return super().get_queryset(request).select_related("pensioner", "trigger__source")
