from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatbotConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "chatbot"
    verbose_name = _("chatbot")

    def ready(self) -> None:
        from backend.warmup import register_warm_up
        from chatbot.nlu.classifier import warm_up
        from notifications.registry import register_inbound_handler

        register_inbound_handler(_answer_sms)
        register_warm_up(warm_up)


def _answer_sms(*, inbound, **_kwargs) -> bool:  # type: ignore[no-untyped-def]
    """Free text someone texted us is a question for the chatbot."""
    from chatbot.services import chatbot_sms_receive

    chatbot_sms_receive(phone=inbound.from_phone, text=inbound.text)
    return True
