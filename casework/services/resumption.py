"""Restoring payment: a hold lifted after verification, a suspension ended by a new certification."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, Region, User
from accounts.services import add_months, audit_record
from backend.api.errors import ApplicationError, ConflictError, ForbiddenError
from backend.formats import plain_date
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseNote,
)
from casework.rules import case_cause
from casework.selectors import resumption_checks
from casework.services.cases import case_open
from casework.services.ledger import _back_pay
from casework.services.notify import _sms
from selfservice.benefits import benefits_hold_release, benefits_resume, hold_started_on
from selfservice.models import Benefit


def _hold_lift(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """The person is alive: every benefit the case held goes back to what it was, and the months
    it held are back-paid when payment restarts."""
    cause = case_cause(case)
    held_on = hold_started_on(pensioner=case.pensioner_id, cause=cause)
    if held_on is None:
        return {"hold_lifted": False}
    change = benefits_hold_release(pensioner=case.pensioner_id, cause=cause, actor=actor, request=request)
    locked = change.pensioner
    if not change.changed:
        # Something else changed the status since (another decision): leave it to that decision.
        return {"hold_lifted": False, "status_changed_meanwhile": locked.benefit_status}
    result: dict[str, Any] = {"hold_lifted": True, "restored_status": locked.benefit_status}
    if any(benefit.status == Benefit.Status.ACTIVE for benefit in change.changed):
        result["back_pay"] = _back_pay(pensioner=locked, case=case, since=held_on, actor=actor)
        amount = result["back_pay"]["amount"]
        text = (
            _(
                "Your pension payment has been restored after verification. Held payments of %(amount)s yuan "
                "will be paid to your account. Questions: call %(hotline)s."
            )
            if Decimal(amount) > 0
            # Nothing was withheld (rejected before a pay day): no "0.00 yuan will be paid".
            else _("Your pension payment has been restored after verification. Questions: call %(hotline)s.")
        ) % {"amount": amount, "hotline": settings.SERVICE_HOTLINE}
        _sms(to=locked.phone, pensioner_id=locked.pk, reason=f"hold_lifted:{case.pk}", text=text)
    return result


def _resume(*, case: Case, actor: User, checks_confirmed: bool, request: HttpRequest | None) -> dict[str, Any]:
    if case.requires_city_review:
        region = actor.region
        if not actor.is_superuser and (region is None or region.level > Region.Level.CITY):
            raise ForbiddenError(
                _("A suspension of more than 12 months can only be lifted by a reviewer at city level or above."),
                code="city_review_required",
            )
        if not checks_confirmed:
            raise ApplicationError(
                _("Please confirm that you checked the back-pay dates, the amount and the bank account."),
                code="checks_not_confirmed",
                fields={"checks_confirmed": [_("Required for this case.")]},
            )
    # Read under the person's lock: the checks and the back pay must see the suspension that resumes.
    locked = Pensioner.objects.select_for_update().select_related("region").get(pk=case.pensioner_id)
    if locked.benefit_status != Pensioner.BenefitStatus.SUSPENDED:
        raise ConflictError(_("The benefit is not suspended any more."), code="benefit_not_suspended")
    case.pensioner = locked
    checks = resumption_checks(case=case)
    since = datetime.date.fromisoformat(checks["suspended_since"])
    back_pay = _back_pay(pensioner=locked, case=case, since=since, actor=actor)
    locked = benefits_resume(
        pensioner=locked,
        actor=actor,
        request=request,
        details={"case": case.pk, "back_pay": back_pay["amount"], "checks_confirmed": checks_confirmed},
    ).pensioner
    _sms(
        to=locked.phone,
        pensioner_id=locked.pk,
        reason=f"resumed:{case.pk}",
        text=_(
            "Your pension has been restored. Back payment of %(amount)s yuan for %(months)d months will be paid "
            "to your account. Questions: call %(hotline)s."
        )
        % {"amount": back_pay["amount"], "months": back_pay["months"], "hotline": settings.SERVICE_HOTLINE},
    )
    return {"resumed": True, "checks_at_approval": checks, "back_pay": back_pay}


def resumption_case_for_certification(*, pensioner: Pensioner, certification: Any) -> Case | None:
    """Called by certification_record: a suspended pensioner proved to be alive again.

    Overdue (or otherwise) suspended → open a resumption case with the suspension start. On hold
    because of a death report or a case → no resumption; the open cases get a note instead, since
    the proof of life is exactly what their verification needs.
    """
    if pensioner.benefit_status != Pensioner.BenefitStatus.SUSPENDED:
        return None
    certified_on = timezone.localdate(certification.certified_at)
    if pensioner.suspension_reason in (Pensioner.SuspensionReason.DEATH_REPORT, Pensioner.SuspensionReason.CASE):
        text = _("A certification (%(method)s) was recorded on %(date)s while payment is on hold.") % {
            "method": certification.get_method_display(),
            "date": certified_on.isoformat(),
        }
        for case in Case.objects.filter(pensioner=pensioner, status__in=OPEN_STATUSES):
            CaseNote.objects.create(case=case, author=None, text=text)
            audit_record(actor=None, action="case.note", target=case, details={"certification": certification.pk})
        return None
    since = pensioner.status_since
    source = {
        "silent": Case.Source.DATA_COMPARISON,
        "face": Case.Source.FACE_CHECK,
        "proxy_face": Case.Source.FACE_CHECK,
    }.get(certification.method, Case.Source.STAFF)
    case = case_open(
        pensioner=pensioner,
        category=Case.Category.RESUMPTION,
        source=source,
        opened_by=certification.recorded_by,
        summary=_("Certified again after suspension since %(date)s") % {"date": plain_date(since)},
        details={
            "type": "certification",
            "certification_id": certification.pk,
            "method": certification.method,
            "certified_on": certified_on.isoformat(),
        },
    )
    case.details["suspension"] = {"since": since.isoformat(), "reason": pensioner.suspension_reason}
    case.requires_city_review = case.requires_city_review or certified_on > add_months(since, 12)
    case.save(update_fields=["details", "requires_city_review", "updated_at"])
    return case
