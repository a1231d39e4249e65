from django.contrib import admin

from backend.admin_utils import ReadOnlyAdminMixin
from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Outbox rows change only through the sending services and webhooks."""


@admin.register(SmsOutbox)
class SmsOutboxAdmin(ReadOnlyAdmin):
    list_display = ("id", "reason", "template", "kind", "status", "attempts", "error_code", "send_after", "sent_at")
    list_filter = ("status", "kind", "template")
    search_fields = ("=reason", "=recipient", "=provider_message_id")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(SmsRecipientPreference)
class SmsRecipientPreferenceAdmin(ReadOnlyAdmin):
    list_display = ("phone", "opted_out_at", "source", "updated_at")
    search_fields = ("=phone",)


@admin.register(SmsInbound)
class SmsInboundAdmin(ReadOnlyAdmin):
    list_display = ("provider_message_id", "from_phone", "action", "received_at")
    list_filter = ("action",)
    search_fields = ("=from_phone", "=provider_message_id")
