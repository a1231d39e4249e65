from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FacecheckConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "facecheck"
    verbose_name = _("facecheck")

    def ready(self) -> None:
        from backend.warmup import register_warm_up
        from facecheck import checks  # noqa: F401 - registers the system check

        register_warm_up(_load_face_models)


def _load_face_models() -> None:
    from facecheck.engine.loader import get_engine

    get_engine()
