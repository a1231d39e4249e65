"""Every write of a pensioner's benefit status: hold, lift a hold, suspend, terminate, resume.

Self-contained on purpose (it imports no other casework service module), so the status has one
owner. Each write locks the pensioner row first; callers pass the locked row they got from
``_pensioner_locked`` where they must compute something between the check and the write.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.services import audit_record
from backend.api.errors import ConflictError
from casework.models import Case

_STATUS_FIELDS = ["benefit_status", "suspension_reason", "status_since"]


def _pensioner_locked(pensioner: Pensioner | int) -> Pensioner:
    pk = pensioner.pk if isinstance(pensioner, Pensioner) else pensioner
    return Pensioner.objects.select_for_update().select_related("region").get(pk=pk)


def benefit_has_ended(pensioner: Pensioner) -> bool:
    """A terminated benefit never changes again (nothing to hold, suspend or report)."""
    return pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED


def benefit_ended_guard(pensioner: Pensioner) -> None:
    """409 ``benefit_ended`` for a terminated benefit."""
    if benefit_has_ended(pensioner):
        raise ConflictError(_("This benefit has already ended."), code="benefit_ended")


def _copy_status(*, source: Pensioner, target: Pensioner) -> None:
    """Show the caller's object the status just written on the locked row."""
    target.benefit_status, target.suspension_reason = source.benefit_status, source.suspension_reason
    target.status_since = source.status_since


@transaction.atomic
def benefit_hold(
    *,
    pensioner: Pensioner,
    case: Case,
    actor: User | None,
    reason: str = Pensioner.SuspensionReason.DEATH_REPORT,
    request: HttpRequest | None = None,
) -> bool:
    """Put payment on hold at once while ``case`` is verified; remembers what to restore.

    Idempotent per case: a second report joining the case changes nothing. Returns whether a hold
    was placed now.
    """
    if "hold" in case.details:
        return False
    locked = _pensioner_locked(pensioner)
    benefit_ended_guard(locked)
    today = timezone.localdate()
    case.details["hold"] = {
        "previous_status": locked.benefit_status,
        "previous_reason": locked.suspension_reason,
        "previous_since": locked.status_since.isoformat(),
        "held_on": today.isoformat(),
        "reason": reason,
    }
    case.save(update_fields=["details", "updated_at"])
    locked.benefit_status = Pensioner.BenefitStatus.SUSPENDED
    locked.suspension_reason = reason
    locked.status_since = today
    locked.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor,
        action="pensioner.hold",
        target=locked,
        details={"case": case.pk, "reason": reason, "previous_status": case.details["hold"]["previous_status"]},
        request=request,
    )
    _copy_status(source=locked, target=pensioner)
    return True


def benefit_hold_in_place(*, pensioner: Pensioner, case: Case) -> bool:
    """Whether the hold ``case`` placed is still what stops payment (nothing else changed it since)."""
    hold = case.details.get("hold")
    return bool(hold) and (
        pensioner.benefit_status == Pensioner.BenefitStatus.SUSPENDED
        and pensioner.suspension_reason == hold.get("reason", Pensioner.SuspensionReason.DEATH_REPORT)
    )


def benefit_hold_lift(*, pensioner: Pensioner, case: Case, actor: User | None, request: HttpRequest | None) -> str:
    """The person is alive: restore the status from before ``case``'s hold; returns that status.

    ``pensioner`` is the locked row, checked with ``benefit_hold_in_place``. Active again counts
    from today; a restored suspension keeps its old reason and start.
    """
    hold = case.details["hold"]
    previous = hold["previous_status"]
    if previous == Pensioner.BenefitStatus.ACTIVE:
        pensioner.benefit_status = Pensioner.BenefitStatus.ACTIVE
        pensioner.suspension_reason = ""
        pensioner.status_since = timezone.localdate()
    else:
        pensioner.benefit_status = previous
        pensioner.suspension_reason = hold["previous_reason"]
        pensioner.status_since = datetime.date.fromisoformat(hold["previous_since"])
    pensioner.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor, action="pensioner.hold_lift", target=pensioner, details={"case": case.pk}, request=request
    )
    return previous


def benefit_suspend(
    *,
    pensioner: Pensioner,
    reason: str,
    actor: User | None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Stop payment: the one suspension service (back office cases and the overdue schedule).

    Locks the row; a terminated benefit stays terminated. Returns whether the status changed now.
    """
    locked = _pensioner_locked(pensioner)
    if benefit_has_ended(locked):
        return False
    locked.benefit_status = Pensioner.BenefitStatus.SUSPENDED
    locked.suspension_reason = reason
    locked.status_since = timezone.localdate()
    locked.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor,
        action="pensioner.suspend",
        target=locked,
        details={"reason": reason, **(details or {})},
        request=request,
    )
    _copy_status(source=locked, target=pensioner)
    return True


def benefit_terminate(
    *,
    pensioner: Pensioner,
    case: Case,
    date_of_death: datetime.date,
    terminated_from: datetime.date,
    actor: User | None,
    request: HttpRequest | None,
) -> None:
    """A confirmed death: the benefit ends from ``terminated_from`` (the month after the death).

    ``pensioner`` is the locked row, checked with ``benefit_ended_guard``.
    """
    pensioner.benefit_status = Pensioner.BenefitStatus.TERMINATED
    pensioner.suspension_reason = ""
    pensioner.deceased_on = date_of_death
    pensioner.status_since = terminated_from
    pensioner.save(update_fields=["benefit_status", "suspension_reason", "deceased_on", "status_since"])
    audit_record(
        actor=actor,
        action="pensioner.terminate",
        target=pensioner,
        details={"case": case.pk, "date_of_death": date_of_death.isoformat(), "from": terminated_from.isoformat()},
        request=request,
    )


def benefit_suspended_guard(pensioner: Pensioner) -> None:
    """409 ``benefit_not_suspended`` unless payment is stopped (only then can it resume)."""
    if pensioner.benefit_status != Pensioner.BenefitStatus.SUSPENDED:
        raise ConflictError(_("The benefit is not suspended any more."), code="benefit_not_suspended")


def benefit_resume(
    *, pensioner: Pensioner, case: Case, actor: User | None, request: HttpRequest | None, details: dict[str, Any]
) -> None:
    """Payment restarts today. ``pensioner`` is the locked row, checked with ``benefit_suspended_guard``."""
    pensioner.benefit_status = Pensioner.BenefitStatus.ACTIVE
    pensioner.suspension_reason = ""
    pensioner.status_since = timezone.localdate()
    pensioner.save(update_fields=_STATUS_FIELDS)
    audit_record(
        actor=actor, action="pensioner.resume", target=pensioner, details={"case": case.pk, **details}, request=request
    )
