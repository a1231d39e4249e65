from django.contrib import admin

from backend.admin_search import BlindIndexSearchMixin
from backend.admin_utils import ReadOnlyAdminMixin
from backend.lookups import PHONE
from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Outbox rows change only through the sending services and webhooks."""


@admin.register(SmsOutbox)
class SmsOutboxAdmin(BlindIndexSearchMixin, ReadOnlyAdmin):
    list_display = ("id", "reason", "template", "kind", "status", "attempts", "error_code", "send_after", "sent_at")
    list_filter = ("status", "kind", "template")
    search_fields = ("=reason", "=provider_message_id")
    blind_search_fields = {"recipient_bidx": PHONE}  # a phone as typed, matched exactly (encrypted)
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(SmsRecipientPreference)
class SmsRecipientPreferenceAdmin(BlindIndexSearchMixin, ReadOnlyAdmin):
    list_display = ("phone", "opted_out_at", "source", "updated_at")
    blind_search_fields = {"phone_bidx": PHONE}


@admin.register(SmsInbound)
class SmsInboundAdmin(BlindIndexSearchMixin, ReadOnlyAdmin):
    list_display = ("provider_message_id", "from_phone", "action", "received_at")
    list_filter = ("action",)
    search_fields = ("=provider_message_id",)
    blind_search_fields = {"from_phone_bidx": PHONE}
