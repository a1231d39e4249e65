from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "casework"
    verbose_name = _("casework")

    def ready(self) -> None:
        from selfservice.signals import certification_recorded

        certification_recorded.connect(_open_resumption_case, dispatch_uid="casework.resumption_case")


def _open_resumption_case(*, pensioner, certification, **_kwargs) -> None:  # type: ignore[no-untyped-def]
    """A suspended pensioner proved to be alive again: the back office decides on resuming."""
    from casework.services import resumption_case_for_certification

    resumption_case_for_certification(pensioner=pensioner, certification=certification)
