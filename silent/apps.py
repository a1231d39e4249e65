from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SilentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "silent"
    verbose_name = _("silent certification")
