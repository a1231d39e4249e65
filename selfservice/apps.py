from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfserviceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "selfservice"
    verbose_name = _("selfservice")

    def ready(self) -> None:
        from notifications.registry import register_send_check
        from selfservice.reminders import STATE_CHECKS, cycle_messages_stale

        register_send_check(templates=STATE_CHECKS, check=cycle_messages_stale)
