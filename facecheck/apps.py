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
        _register_with_casework()


def _register_with_casework() -> None:
    """The safety net's face parts: review outcomes, visit-photo hints, repeated failures."""
    from casework import hooks
    from casework.models import VisitTask
    from facecheck import casework_hooks
    from selfservice.signals import certification_recorded

    hooks.register_face_review_attempt(casework_hooks.reviewed_attempt)
    hooks.register_visit_face_comparer(casework_hooks.visit_photo_compare)
    hooks.register_visit_trigger(VisitTask.Reason.FACE_FAILURES, casework_hooks.repeated_face_failures)
    certification_recorded.connect(
        casework_hooks.link_review_certification, dispatch_uid="facecheck.link_review_certification"
    )


def _load_face_models() -> None:
    from facecheck.engine.loader import get_engine

    get_engine()
