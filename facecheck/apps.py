from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacecheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "facecheck"
    verbose_name = _("facecheck")

    def ready(self) -> None:
        from facecheck import checks  # noqa: F401 - registers the system check
