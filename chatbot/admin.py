"""Staff see callback requests of their region and mark them handled; conversations are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin_search import PENSIONER_SEARCH, BlindIndexSearchMixin
from accounts.auth import request_user
from accounts.lookups import PHONE
from accounts.phones import mask_phone
from accounts.selectors import user_is_staff_member
from backend.admin_utils import ReadOnlyAdminMixin
from chatbot.models import CallbackRequest, Conversation, Message
from chatbot.selectors import callback_requests_in_scope
from chatbot.services import callback_request_close


class StaffReadOnlyMixin(ReadOnlyAdminMixin):
    """Visible to staff roles without a model permission of their own (roles are groups)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and (request.user.is_superuser or user_is_staff_member(request.user))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)


@admin.register(CallbackRequest)
class CallbackRequestAdmin(BlindIndexSearchMixin, StaffReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "status", "phone_masked", "pensioner", "region", "topic", "handled_by"]
    list_filter = ["status", "topic"]
    blind_search_fields = {**PENSIONER_SEARCH, "phone_bidx": PHONE}
    date_hierarchy = "created_at"
    fields = [
        "status",
        "created_at",
        "phone",
        "user",
        "pensioner",
        "region",
        "topic",
        "summary",
        "handled_by",
        "handled_at",
        "note",
    ]
    readonly_fields = fields
    actions = ["mark_called_back"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[CallbackRequest]:
        return callback_requests_in_scope(actor=request_user(request))

    @admin.display(description=_("phone"))
    def phone_masked(self, obj: CallbackRequest) -> str:
        return mask_phone(obj.phone)

    @admin.action(description=_("Mark as called back"))
    def mark_called_back(self, request: HttpRequest, queryset: QuerySet[CallbackRequest]) -> None:
        count = 0
        for callback in queryset:
            callback_request_close(callback=callback, actor=request_user(request))
            count += 1
        self.message_user(
            request, _("%(count)d request(s) marked as called back.") % {"count": count}, messages.SUCCESS
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest):  # type: ignore[no-untyped-def]
        # Admin actions need a permission check of their own; staff in scope may close requests.
        actions = super().get_actions(request)
        if not self.has_module_permission(request):
            return {}
        return actions


class MessageInline(admin.TabularInline):
    model = Message
    fields = ["created_at", "direction", "text", "intent", "confidence", "state"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser


@admin.register(Conversation)
class ConversationAdmin(StaffReadOnlyMixin, admin.ModelAdmin):
    """Only superusers read conversations (for quality review); staff work from callback requests."""

    list_display = ["id", "channel", "state", "last_intent", "updated_at"]
    list_filter = ["channel", "state"]
    inlines = [MessageInline]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser
