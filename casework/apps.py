from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casework"
    verbose_name = _("casework")

    def ready(self) -> None:
        from selfservice.signals import certification_recorded, certifications_recorded_bulk

        certification_recorded.connect(_open_resumption_case, dispatch_uid="casework.resumption_case")
        certification_recorded.connect(_cancel_visit_tasks, dispatch_uid="casework.cancel_visit_tasks")
        # The bulk path certifies only active people: no resumption; open visits are cancelled.
        certifications_recorded_bulk.connect(_cancel_visit_tasks_bulk, dispatch_uid="casework.cancel_visit_tasks_bulk")
        _register_safety_net()


def _register_safety_net() -> None:
    """Casework's own visit triggers and suspect-list sources; apps above add theirs (``casework.hooks``)."""
    from casework import hooks, visit_selectors
    from casework.models import VisitTask

    hooks.register_visit_trigger(VisitTask.Reason.SUSPENDED_UNREACHED, visit_selectors.suspended_unreached)
    hooks.register_visit_trigger(VisitTask.Reason.OVERDUE, visit_selectors.overdue_beyond)
    hooks.register_visit_trigger(VisitTask.Reason.NO_CONTACT, visit_selectors.without_contact)
    hooks.register_suspect_source("suspected_death", visit_selectors.suspected_deaths_from_data)
    hooks.register_suspect_source("overdue", visit_selectors.overdue_now)


def _cancel_visit_tasks(*, pensioner, certification, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    from casework.services.visits import visit_tasks_cancel_certified

    visit_tasks_cancel_certified(pensioner=pensioner, certification=certification)


def _cancel_visit_tasks_bulk(*, certifications, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    from casework.services.visits import visit_tasks_cancel_certified_bulk

    visit_tasks_cancel_certified_bulk(certifications=certifications)


def _open_resumption_case(*, pensioner, certification, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    """A suspended pensioner proved to be alive again: the back office decides on resuming."""
    from casework.services import resumption_case_for_certification

    resumption_case_for_certification(pensioner=pensioner, certification=certification)
