"""The rules of casework that are neither reads nor writes: the calendar of periods, due days and
pay days, and who may take which step on a case."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import Pensioner, User
from accounts.roles import Role
from accounts.selectors import Capability, actor_may, user_roles
from accounts.services import add_months
from backend.api.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from casework.models import (
    Case,
)

MONEY = Decimal("0.01")


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_add(period: datetime.date, months: int) -> datetime.date:
    return add_months(month_start(period), months)


def months_from(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every period (first of month) from ``first`` to ``last`` inclusive."""
    periods, period = [], month_start(first)
    while period <= month_start(last):
        periods.append(period)
        period = month_add(period, 1)
    return periods


def monthly_report_due_on(period: datetime.date) -> datetime.date:
    """A month's report is due on the configured day of the next month (default the 5th)."""
    following = month_add(period, 1)
    due_day = settings.CASEWORK_MONTHLY_REPORT_DUE_DAY
    return following.replace(day=min(due_day, _days_in_month(following)))


def _days_in_month(period: datetime.date) -> int:
    return (month_add(period, 1) - datetime.timedelta(days=1)).day


def pay_date_for(period: datetime.date) -> datetime.date:
    return period.replace(day=min(settings.CASEWORK_PAY_DAY, _days_in_month(period)))


def _ensure_duties_separated(actor: User) -> None:
    """岗位分离: whoever sets benefit amounts may not do certification or case work."""
    if actor.has_perm("accounts.set_benefit_amount"):
        raise ForbiddenError(
            _("Staff who set benefit amounts may not do certification or case work."), code="duties_not_separated"
        )


def _validate_event_date(*, day: datetime.date, pensioner: Pensioner, field: str) -> None:
    if day > timezone.localdate():
        message = _("The date cannot be in the future.")
        raise ApplicationError(message, code="date_in_future", fields={field: [message]})
    if day < pensioner.birth_date:
        message = _("The date is before the person's birth date.")
        raise ApplicationError(message, code="date_before_birth", fields={field: [message]})


ACTION_LABELS = {
    "assign": pgettext_lazy("case step", "assign"),
    "accept": pgettext_lazy("case step", "accept"),
    "approve": pgettext_lazy("case step", "approve"),
    "reject": pgettext_lazy("case step", "reject"),
    "close": pgettext_lazy("case step", "close"),
}


def case_step_guard(*, case: Case, actor: User, roles_allowed: set[Role], allow_assignee: bool = False) -> None:
    """Scope (404 outside the subtree), separation of duties, then role membership (403)."""
    if not actor_may(actor=actor, pensioner=case.pensioner, capability=Capability.CASEWORK):
        raise NotFoundError()
    _ensure_duties_separated(actor)
    if allow_assignee and case.assignee_id == actor.pk:
        return
    if not (user_roles(actor) & roles_allowed):
        raise ForbiddenError(_("Your role cannot take this step on a case."), code="case_role_required")


def _invalid_transition(case: Case, action: str) -> ConflictError:
    if action in ("approve", "reject") and case.status == Case.Status.OPEN:
        return ConflictError(
            _("A caseworker must accept this case before it can be reviewed."), code="case_not_accepted"
        )
    return ConflictError(
        _('This case is %(status)s; the step "%(action)s" is not possible now.')
        % {"status": case.get_status_display(), "action": ACTION_LABELS[action]},
        code="case_invalid_transition",
        extra={"status": case.status},
    )


def case_review_guard(*, case: Case, actor: User, action: str) -> None:
    case_step_guard(case=case, actor=actor, roles_allowed={Role.REVIEWER})
    if case.status != Case.Status.ACCEPTED:
        raise _invalid_transition(case, action)
    if actor.pk in (case.accepted_by_id, case.opened_by_id):
        raise ForbiddenError(
            _("You accepted or reported this case; another person must review it."), code="maker_checker"
        )


def case_cause(case: Case | int) -> str:
    """How a case names itself to the benefit service when it holds payments (``case:<id>``)."""
    return f"case:{case if isinstance(case, int) else case.pk}"
