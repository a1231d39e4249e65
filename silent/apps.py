from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SilentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "silent"
    verbose_name = _("silent certification")

    def ready(self) -> None:
        from casework import hooks
        from casework.models import VisitTask
        from silent.selectors import low_grade_due

        # People the data cannot vouch for are the safety net's to reach (issue 12's low-grade trigger).
        hooks.register_visit_trigger(VisitTask.Reason.LOW_GRADE, low_grade_due)
        hooks.register_suspect_source(VisitTask.Reason.LOW_GRADE, low_grade_due)
