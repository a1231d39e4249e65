from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbot"
    verbose_name = _("chatbot")

    def ready(self) -> None:
        from backend.warmup import register_warm_up
        from chatbot.nlu.classifier import warm_up
        from chatbot.services import sms_inbound_handle
        from notifications.registry import register_inbound_handler

        register_inbound_handler(sms_inbound_handle)
        register_warm_up(warm_up)
