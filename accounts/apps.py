from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("accounts and registry")

    def ready(self) -> None:
        import backend.checks  # noqa: F401  (registers the deployment checks)
        from accounts.roles_sync import sync_role_groups
        from accounts.services import relative_link_sms_reply
        from notifications.registry import register_inbound_handler

        # Registered before the chatbot's (accounts comes first in INSTALLED_APPS): a pensioner's
        # "Y<number>" / "N<number>" answers a link request; anything else goes on to the chatbot.
        register_inbound_handler(relative_link_sms_reply)

        post_migrate.connect(sync_role_groups, dispatch_uid="accounts.sync_role_groups")
