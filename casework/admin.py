"""Staff work cases here. Everything is read-only except through actions, which call the same
services as the API, so the two-level approval and the scope rules cannot be bypassed."""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin_search import PENSIONER_SEARCH, BlindIndexSearchMixin
from accounts.auth import request_user
from accounts.models import Region
from accounts.selectors import Capability, region_scope_q, scoped
from backend.admin_utils import ReadOnlyAdminMixin
from backend.api.errors import ApplicationError
from casework import selectors, services
from casework.models import (
    Case,
    CaseNote,
    DeathReport,
    EvidenceFile,
    MonthlyReport,
    MonthlyReportItem,
    Overpayment,
    PayeeAccount,
    PaymentLedger,
    ProofOfLife,
    SuspectList,
    SuspectListEntry,
    VisitTask,
)

_M = TypeVar("_M", bound=Model)


def _in_scope(queryset: QuerySet[_M], request: HttpRequest) -> QuerySet[_M]:
    """Rows of pensioners the staff member may do casework for: the back office's view."""
    return scoped(queryset, actor=request_user(request), capability=Capability.CASEWORK, path="pensioner")


class RegionFilter(admin.SimpleListFilter):
    """Counties and townships inside the user's area; filters by division-code prefix."""

    title = _("region")
    parameter_name = "region"
    field = "pensioner__region__code"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        regions = Region.objects.filter(
            region_scope_q(actor=request_user(request), capability=Capability.CASEWORK),
            level__in=[Region.Level.CITY, Region.Level.COUNTY, Region.Level.TOWNSHIP],
        )
        return [(r.code, f"{'　' * (r.level - 2)}{r.name}") for r in regions.order_by("code")[:200]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        region = Region.objects.filter(code=self.value()).first() if self.value() else None
        if region is None:
            return queryset
        return queryset.filter(**{f"{self.field}__startswith": region.prefix})


class VillageRegionFilter(RegionFilter):
    field = "village__code"


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "due"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("overdue", _("overdue")), ("week", _("due within 7 days")), ("none", _("no deadline"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        open_cases = queryset.filter(status__in=["open", "accepted"])
        if self.value() == "overdue":
            return open_cases.filter(deadline__lt=today)
        if self.value() == "week":
            return open_cases.filter(deadline__gte=today, deadline__lte=today + datetime.timedelta(days=7))
        if self.value() == "none":
            return queryset.filter(deadline__isnull=True)
        return queryset


class CaseNoteInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CaseNote
    extra = 0
    fields = ["created_at", "author", "text"]
    readonly_fields = fields


@admin.register(Case)
class CaseAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "pensioner",
        "village",
        "category",
        "status",
        "assignee",
        "deadline",
        "requires_city_review",
        "created_at",
    ]
    list_filter = ["category", "status", RegionFilter, DeadlineFilter, ("deadline", admin.DateFieldListFilter)]
    list_select_related = ["pensioner__region", "assignee"]
    search_fields = ["=id"]
    blind_search_fields = PENSIONER_SEARCH
    date_hierarchy = "created_at"
    inlines = [CaseNoteInline]
    actions = ["accept", "approve", "reject", "close"]
    fields = [
        "pensioner",
        "category",
        "source",
        "status",
        "summary",
        "assignee",
        "deadline",
        "requires_city_review",
        "opened_by",
        "created_at",
        "accepted_by",
        "accepted_at",
        "decided_by",
        "decided_at",
        "closed_by",
        "closed_at",
        "outcome",
        "checks",
        "details_pretty",
    ]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # cases are opened by reports and checks, through services

    def has_change_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False  # status and decisions change only through the actions below

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return selectors.cases_in_scope(actor=request_user(request))

    @admin.display(description=_("village"), ordering="pensioner__region__code")
    def village(self, obj: Case) -> str:
        return obj.pensioner.region.name

    @admin.display(description=_("resumption checks"))
    def checks(self, obj: Case) -> str:
        if obj.category != Case.Category.RESUMPTION:
            return "-"
        if obj.status in (Case.Status.OPEN, Case.Status.ACCEPTED):
            data = selectors.resumption_checks(case=obj)
        else:
            data = obj.details.get("outcome", {}).get("checks_at_approval", {})
        return format_html("<pre>{}</pre>", json.dumps(data, ensure_ascii=False, indent=2))

    @admin.display(description=_("details"))
    def details_pretty(self, obj: Case) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.details, ensure_ascii=False, indent=2))

    def _run(self, request: HttpRequest, queryset: QuerySet[Case], step: Callable[[Case], Any]) -> None:
        done = 0
        for case in queryset:
            try:
                step(case)
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{case}: {exc.message}", level=messages.WARNING)
        if done:
            self.message_user(request, _("%(count)d cases updated.") % {"count": done})

    @admin.action(description=_("Accept selected cases (caseworker)"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        actor = request_user(request)
        self._run(request, queryset, lambda case: services.case_accept(case=case, actor=actor, request=request))

    @admin.action(description=_("Approve selected cases (reviewer; I checked dates, amounts and bank account)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        actor = request_user(request)
        self._run(
            request,
            queryset,
            lambda case: services.case_approve(case=case, actor=actor, checks_confirmed=True, request=request),
        )

    @admin.action(description=_("Reject selected cases (reviewer)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Case]) -> TemplateResponse | None:
        note = (request.POST.get("note") or "").strip()
        if request.POST.get("apply") and note:
            self._run(
                request,
                queryset,
                lambda case: services.case_reject(case=case, actor=request_user(request), note=note, request=request),
            )
            return None
        return TemplateResponse(
            request,
            "admin/casework/case/reject.html",
            {**self.admin_site.each_context(request), "cases": queryset, "title": _("Reject cases")},
        )

    @admin.action(description=_("Close selected decided cases"))
    def close(self, request: HttpRequest, queryset: QuerySet[Case]) -> None:
        actor = request_user(request)
        self._run(request, queryset, lambda case: services.case_close(case=case, actor=actor, request=request))


@admin.register(DeathReport)
class DeathReportAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "pensioner", "date_of_death", "capacity", "relationship", "case", "created_at"]
    list_filter = ["capacity", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    list_select_related = ["pensioner", "case"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeathReport]:
        return _in_scope(super().get_queryset(request), request)


class MonthlyReportItemInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MonthlyReportItem
    extra = 0
    fields = ["pensioner", "event", "event_date", "note", "case"]
    readonly_fields = fields


@admin.register(MonthlyReport)
class MonthlyReportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["village", "period", "version", "is_current", "is_zero", "due_on", "late", "submitted_at"]
    list_filter = ["period", "is_zero", "is_current", VillageRegionFilter]
    search_fields = ["village__name", "village__code"]
    list_select_related = ["village"]
    inlines = [MonthlyReportItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[MonthlyReport]:
        return selectors.monthly_reports_for_actor(actor=request_user(request))

    @admin.display(description=_("late"), boolean=True)
    def late(self, obj: MonthlyReport) -> bool:
        return obj.is_late


@admin.register(EvidenceFile)
class EvidenceFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Metadata only: the files are not served by URL (download through the API, which is audited)."""

    list_display = ["id", "content_type", "size", "uploaded_by", "created_at"]
    list_filter = ["content_type"]
    exclude = ["file"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[EvidenceFile]:
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=selectors.evidence_in_scope(actor=request_user(request)).values("pk"))
        )


@admin.register(PaymentLedger)
class PaymentLedgerAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pensioner", "period", "kind", "status", "amount", "paid_on", "account_last4", "case"]
    list_filter = ["kind", "status", "period"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    list_select_related = ["pensioner"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PaymentLedger]:
        return _in_scope(super().get_queryset(request), request)


@admin.register(Overpayment)
class OverpaymentAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pensioner", "period_from", "period_to", "months", "amount", "recovered_amount", "recovery_status"]
    list_filter = ["recovery_status"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH

    def get_queryset(self, request: HttpRequest) -> QuerySet[Overpayment]:
        return selectors.overpayments_in_scope(actor=request_user(request))


@admin.register(PayeeAccount)
class PayeeAccountAdmin(BlindIndexSearchMixin, admin.ModelAdmin):
    """Changing the account goes through the service, so it is audited and dated for the
    resumption bank-account check."""

    list_display = ["pensioner", "bank_name", "masked", "changed_at"]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    raw_id_fields = ["pensioner"]
    readonly_fields = ["changed_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayeeAccount]:
        return _in_scope(super().get_queryset(request), request)

    def has_delete_permission(self, request: HttpRequest, obj: PayeeAccount | None = None) -> bool:
        return False

    @admin.display(description=_("account number"))
    def masked(self, obj: PayeeAccount) -> str:
        return f"****{obj.last4}"

    def save_model(self, request: HttpRequest, obj: PayeeAccount, form: Any, change: bool) -> None:
        saved = services.payee_account_set(
            pensioner=obj.pensioner,
            bank_name=obj.bank_name,
            account_number=obj.account_number,
            actor=request_user(request),
            request=request,
        )
        obj.pk, obj.changed_at = saved.pk, saved.changed_at


# --- The safety net: read-only lists (records are made and confirmed through the API and cases) -----


@admin.register(ProofOfLife)
class ProofOfLifeAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pensioner", "kind", "status", "seen_on", "place", "consulate", "recorded_by", "case"]
    list_filter = ["kind", "status", RegionFilter]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProofOfLife]:
        return _in_scope(super().get_queryset(request).select_related("pensioner", "recorded_by"), request)


@admin.register(VisitTask)
class VisitTaskAdmin(BlindIndexSearchMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["pensioner", "reason", "priority", "assignee", "due_on", "status", "outcome", "case"]
    list_filter = ["status", "reason", "outcome", RegionFilter]
    search_fields = ["=pk"]
    blind_search_fields = PENSIONER_SEARCH
    ordering = ["priority", "due_on", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[VisitTask]:
        return _in_scope(super().get_queryset(request).select_related("pensioner", "assignee"), request)


class SuspectListEntryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SuspectListEntry
    fields = ["pensioner", "reasons", "answer", "seen_on", "note", "answered_by", "case", "task"]
    readonly_fields = fields
    extra = 0


@admin.register(SuspectList)
class SuspectListAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["village", "period", "created_at"]
    list_filter = ["period", VillageRegionFilter]
    inlines = [SuspectListEntryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SuspectList]:
        scope = region_scope_q(actor=request_user(request), capability=Capability.CASEWORK, path="village")
        return super().get_queryset(request).filter(scope).select_related("village")
