"""Two-level approval of a case (受理 → 审核) and the consequence each decision carries."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.roles import Role
from accounts.selectors import Capability, actor_may, user_roles
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from casework.models import (
    Case,
    CaseNote,
)
from casework.rules import (
    _invalid_transition,
    _validate_event_date,
    case_review_guard,
    case_step_guard,
)
from casework.services.cases import _case_locked
from casework.services.death_reports import _death_confirm
from casework.services.proofs import PROOF_CATEGORIES, _proof_certify, _proof_reject
from casework.services.resumption import _hold_lift, _resume
from casework.services.reviews import _face_review_certify, _face_review_next_step, _moved_away_confirm
from selfservice.benefits import benefits_suspend
from selfservice.models import Benefit


def _case_transition_audit(*, case: Case, actor: User, action: str, note: str, request: HttpRequest | None) -> None:
    if note:
        CaseNote.objects.create(case=case, author=actor, text=note)
    audit_record(
        actor=actor,
        action=f"case.{action}",
        target=case,
        details={"status": case.status, "note": note},
        request=request,
    )


@transaction.atomic
def case_assign(
    *,
    case: Case,
    actor: User,
    assignee: User,
    deadline: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Route an open case to a caseworker who may work it (in scope, not setting amounts)."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER})
    if case.status != Case.Status.OPEN:
        raise _invalid_transition(case, "assign")
    if (
        Role.CASEWORKER not in user_roles(assignee)
        or not assignee.is_active
        or not actor_may(actor=assignee, pensioner=case.pensioner, capability=Capability.CASEWORK)
        or assignee.has_perm("accounts.set_benefit_amount")
    ):
        message = _("This person cannot work on this case.")
        raise ApplicationError(message, code="assignee_not_eligible", fields={"assignee_id": [message]})
    if deadline is not None and deadline < timezone.localdate():
        message = _("The deadline cannot be in the past.")
        raise ApplicationError(message, code="deadline_in_past", fields={"deadline": [message]})
    case.assignee = assignee
    if deadline is not None:
        case.deadline = deadline
    case.save(update_fields=["assignee", "deadline", "updated_at"])
    audit_record(
        actor=actor,
        action="case.assign",
        target=case,
        details={"assignee": assignee.pk, "deadline": case.deadline.isoformat() if case.deadline else None},
        request=request,
    )
    return case


@transaction.atomic
def case_accept(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """受理: a caseworker (or the assignee) takes the case on; the first of the two levels."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER}, allow_assignee=True)
    if case.status != Case.Status.OPEN:
        raise _invalid_transition(case, "accept")
    case.status = Case.Status.ACCEPTED
    case.accepted_by = actor
    case.accepted_at = timezone.now()
    if case.assignee_id is None:
        case.assignee = actor
    case.save(update_fields=["status", "accepted_by", "accepted_at", "assignee", "updated_at"])
    _case_transition_audit(case=case, actor=actor, action="accept", note=note, request=request)
    return case


def _reported_date_of_death(case: Case) -> datetime.date | None:
    dates = {
        report.get("date_of_death") or (report.get("event_date") if report.get("event") == "death" else None)
        for report in case.details.get("reports", [])
    } - {None}
    return datetime.date.fromisoformat(str(dates.pop())) if len(dates) == 1 else None


@transaction.atomic
def case_approve(
    *,
    case: Case,
    actor: User,
    note: str = "",
    date_of_death: datetime.date | None = None,
    checks_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> Case:
    """审核通过: a reviewer other than the acceptor confirms the finding, and its consequence
    (termination, suspension, resumption with back pay) is applied in the same transaction.

    The case row is locked first, so of two reviewers approving at once the second sees the
    decided case and gets a conflict.
    """
    case = _case_locked(case)
    case_review_guard(case=case, actor=actor, action="approve")
    if case.category == Case.Category.SUSPECTED_DEATH:
        date_of_death = date_of_death or _reported_date_of_death(case)
        if date_of_death is None:
            message = _("The reports give different dates of death; please enter the confirmed date.")
            raise ApplicationError(message, code="date_of_death_required", fields={"date_of_death": [message]})
        _validate_event_date(day=date_of_death, pensioner=case.pensioner, field="date_of_death")
        outcome = _death_confirm(case=case, actor=actor, date_of_death=date_of_death, request=request)
    elif case.category == Case.Category.RESUMPTION:
        outcome = _resume(case=case, actor=actor, checks_confirmed=checks_confirmed, request=request)
    elif case.category == Case.Category.FACE_REVIEW:
        outcome = _face_review_certify(case=case, actor=actor, request=request)
    elif case.category in PROOF_CATEGORIES:
        outcome = _proof_certify(case=case, actor=actor, request=request)
    elif case.category == Case.Category.MOVED_AWAY:
        outcome = _moved_away_confirm(case=case)
    else:
        outcome = _suspend_for_case(case=case, actor=actor, request=request)
    return _case_decide(
        case=case, actor=actor, status=Case.Status.APPROVED, note=note, outcome=outcome, request=request
    )


def _case_decide(
    *, case: Case, actor: User, status: str, note: str, outcome: dict[str, Any], request: HttpRequest | None
) -> Case:
    """Record the reviewer's decision (approve or reject) and audit it."""
    case.status = status
    case.decided_by = actor
    case.decided_at = timezone.now()
    case.outcome = note.strip()[:500]
    decision = "approved" if status == Case.Status.APPROVED else "rejected"
    case.details["outcome"] = {"decision": decision, **outcome}
    case.save(update_fields=["status", "decided_by", "decided_at", "outcome", "details", "updated_at"])
    _case_transition_audit(
        case=case, actor=actor, action="approve" if decision == "approved" else "reject", note=note, request=request
    )
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """审核不通过: the suspicion is not confirmed; a hold the case placed is lifted with back pay."""
    case = _case_locked(case)
    case_review_guard(case=case, actor=actor, action="reject")
    if not note.strip():
        message = _("Please give the reason for rejecting.")
        raise ApplicationError(message, code="reason_required", fields={"note": [message]})
    outcome = _hold_lift(case=case, actor=actor, request=request)
    if case.category == Case.Category.FACE_REVIEW:
        outcome |= _face_review_next_step(case=case)
    elif case.category in PROOF_CATEGORIES:
        outcome |= _proof_reject(case=case, actor=actor, request=request)
    return _case_decide(
        case=case, actor=actor, status=Case.Status.REJECTED, note=note, outcome=outcome, request=request
    )


@transaction.atomic
def case_close(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """Close a decided case once its follow-up (family told, recovery started) is done."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}, allow_assignee=True)
    if case.status not in (Case.Status.APPROVED, Case.Status.REJECTED):
        raise _invalid_transition(case, "close")
    case.status = Case.Status.CLOSED
    case.closed_by = actor
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])
    _case_transition_audit(case=case, actor=actor, action="close", note=note, request=request)
    return case


def _suspend_for_case(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """Imprisonment, missing, lost nationality, duplicate receipt confirmed: stop payment pending the
    final decision on entitlement (which this system does not take)."""
    change = benefits_suspend(
        pensioner=case.pensioner_id, reason=Benefit.Reason.CASE, actor=actor, request=request, details={"case": case.pk}
    )
    if change.pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        return {"suspended": False, "status": Pensioner.BenefitStatus.TERMINATED}
    return {"suspended": True}
