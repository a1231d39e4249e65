from django.contrib import admin

from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference


class ReadOnlyAdmin(admin.ModelAdmin):
    """The outbox is written by services only; the admin is for looking, not editing."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


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
