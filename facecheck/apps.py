from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacecheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "facecheck"
    verbose_name = _("facecheck")
