"""Death reports from relatives, village assistants and staff, and a confirmed death's consequence."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import Pensioner, RelativeLink, User
from accounts.selectors import CAPABILITIES, Capability, Relationship, relationships_to
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ConflictError, NotFoundError
from backend.formats import plain_date
from casework.models import (
    Case,
    DeathReport,
    Overpayment,
)
from casework.rules import (
    _validate_event_date,
    case_cause,
    month_add,
)
from casework.selectors import death_overpayment_figures
from casework.services.cases import case_open
from casework.services.evidence import evidence_lock, evidence_resolve
from casework.services.notify import _sms
from selfservice.benefits import benefit_ended_guard, benefits_hold, benefits_terminate


def _reporter_capacity(*, reporter: User, pensioner: Pensioner) -> tuple[str, str | None]:
    """How ``reporter`` may report this death (``Capability.REPORT_DEATH``: staff in scope, the
    village's assistant, an approved relative) and the relationship we know; 404 for anyone else."""
    relationships = relationships_to(actor=reporter, pensioner=pensioner) & CAPABILITIES[Capability.REPORT_DEATH]
    if Relationship.STAFF in relationships:
        return DeathReport.Capacity.STAFF, DeathReport.Relationship.STAFF
    if Relationship.VILLAGE_ASSISTANT in relationships:
        return DeathReport.Capacity.VILLAGE_ASSISTANT, DeathReport.Relationship.VILLAGE_ASSISTANT
    if Relationship.GRID_WORKER in relationships:
        return DeathReport.Capacity.GRID_WORKER, DeathReport.Relationship.GRID_WORKER
    if Relationship.RELATIVE in relationships:
        link = RelativeLink.objects.filter(
            relative=reporter, pensioner=pensioner, status=RelativeLink.Status.APPROVED
        ).first()
        if link is not None:
            return DeathReport.Capacity.RELATIVE, link.relationship
    raise NotFoundError()


def death_report_ack_reason(*, case_id: int, reporter_id: int) -> str:
    """The outbox reason of the acknowledgement SMS: unique per case and reporter."""
    return f"death_report_ack:c{case_id}:u{reporter_id}"


def death_report_submit(
    *,
    reporter: User,
    pensioner_id: int,
    date_of_death: datetime.date,
    place: str,
    client_request_id: uuid.UUID,
    relationship: str | None = None,
    note: str = "",
    evidence_ids: Sequence[int] = (),
    request: HttpRequest | None = None,
) -> tuple[DeathReport, bool]:
    """Record a death report: hold payment at once, open (or join) the suspected-death case, and
    acknowledge by SMS. Returns ``(report, created)``; a retry with the same request id returns the
    first report unchanged."""
    replay = _death_report_replay(reporter=reporter, client_request_id=client_request_id, pensioner_id=pensioner_id)
    if replay is not None:
        return replay, False
    pensioner = Pensioner.objects.select_related("region").filter(pk=pensioner_id).first()
    if pensioner is None:
        raise NotFoundError()
    capacity, known_relationship = _reporter_capacity(reporter=reporter, pensioner=pensioner)
    benefit_ended_guard(pensioner)
    _validate_event_date(day=date_of_death, pensioner=pensioner, field="date_of_death")
    if not place.strip():
        raise ApplicationError(fields={"place": [_("Please say where the person died.")]}, code="invalid")
    evidence = evidence_resolve(actor=reporter, evidence_ids=evidence_ids)
    sources: dict[str, str] = {
        DeathReport.Capacity.RELATIVE: Case.Source.RELATIVE,
        DeathReport.Capacity.VILLAGE_ASSISTANT: Case.Source.VILLAGE_REPORT,
        DeathReport.Capacity.GRID_WORKER: Case.Source.SOCIAL_SERVICE,
        DeathReport.Capacity.STAFF: Case.Source.STAFF,
    }
    source = sources[capacity]
    try:
        with transaction.atomic():
            evidence_lock(evidence)
            case = case_open(
                pensioner=pensioner,
                category=Case.Category.SUSPECTED_DEATH,
                source=source,
                opened_by=reporter,
                summary=_("Death reported on %(date)s") % {"date": plain_date(date_of_death)},
                details={
                    "type": "death_report",
                    "reporter_id": reporter.pk,
                    "capacity": capacity,
                    "date_of_death": date_of_death.isoformat(),
                    "place": place.strip()[:200],
                },
            )
            report = DeathReport.objects.create(
                pensioner=pensioner,
                reporter=reporter,
                capacity=capacity,
                relationship=relationship or known_relationship or DeathReport.Relationship.OTHER_RELATIVE,
                date_of_death=date_of_death,
                place=place.strip()[:200],
                note=note.strip()[:1000],
                client_request_id=client_request_id,
                case=case,
            )
            report.evidence.set(evidence)
            case.evidence.add(*evidence)
            benefits_hold(pensioner=pensioner, cause=case_cause(case), actor=reporter, request=request)
            audit_record(
                actor=reporter,
                action="death_report.submit",
                target=report,
                details={"case": case.pk, "capacity": capacity, "evidence": [e.pk for e in evidence]},
                request=request,
            )
            # One acknowledgement per case and reporter: more reports of the same death (other
            # request ids, a double tap, a bot) join the open case and send nothing new.
            _sms(
                to=reporter.phone,
                pensioner_id=pensioner.pk,
                reason=death_report_ack_reason(case_id=case.pk, reporter_id=reporter.pk),
                text=_(
                    "We received your report of the death of %(name)s (case no. %(case)d). Payment is on hold "
                    "while we verify; we will tell you the result by SMS."
                )
                % {"name": pensioner.name, "case": case.pk},
            )
    except IntegrityError:
        replay = _death_report_replay(reporter=reporter, client_request_id=client_request_id, pensioner_id=pensioner_id)
        if replay is None:
            raise
        return replay, False
    return report, True


def _death_report_replay(*, reporter: User, client_request_id: uuid.UUID, pensioner_id: int) -> DeathReport | None:
    existing = DeathReport.objects.filter(reporter=reporter, client_request_id=client_request_id).first()
    if existing is not None and existing.pensioner_id != int(pensioner_id):
        raise ConflictError(_("This request id was already used for another submission."), code="request_id_reused")
    return existing


def _death_confirm(
    *, case: Case, actor: User, date_of_death: datetime.date, request: HttpRequest | None
) -> dict[str, Any]:
    change = benefits_terminate(
        pensioner=case.pensioner_id,
        actor=actor,
        terminated_from=month_add(date_of_death, 1),
        deceased_on=date_of_death,
        request=request,
        details={"case": case.pk, "date_of_death": date_of_death.isoformat()},
    )
    locked = change.pensioner
    figures = death_overpayment_figures(pensioner=locked, date_of_death=date_of_death)
    result: dict[str, Any] = {
        "date_of_death": date_of_death.isoformat(),
        "terminated_from": figures["terminated_from"].isoformat(),
        "overpaid_amount": str(figures["overpaid_amount"]),
        "overpaid_months": len(figures["overpaid_periods"]),
        "arrears_to_estate": str(figures["arrears_to_estate"]),
    }
    if figures["overpaid_amount"] > 0:
        overpayment = Overpayment.objects.create(
            pensioner=locked,
            case=case,
            period_from=figures["overpaid_periods"][0],
            period_to=figures["overpaid_periods"][-1],
            months=len(figures["overpaid_periods"]),
            amount=figures["overpaid_amount"],
        )
        audit_record(
            actor=actor,
            action="overpayment.record",
            target=overpayment,
            details={"amount": str(overpayment.amount), "months": overpayment.months},
            pensioner_id=locked.pk,
        )
        result["overpayment_id"] = overpayment.pk
    _family_death_benefit_sms(case=case, pensioner=locked, overpaid=figures["overpaid_amount"])
    return result


def _family_death_benefit_sms(*, case: Case, pensioner: Pensioner, overpaid: Decimal) -> None:
    """Tell the family about the one-off death benefits and closing the account (one SMS per phone)."""
    phones = set(
        RelativeLink.objects.filter(pensioner=pensioner, status=RelativeLink.Status.APPROVED)
        .exclude(relative__phone__isnull=True)
        .values_list("relative__phone", flat=True)
    )
    phones |= {
        phone
        for phone in DeathReport.objects.filter(case=case, capacity=DeathReport.Capacity.RELATIVE).values_list(
            "reporter__phone", flat=True
        )
        if phone
    }
    parent = pensioner.region.parent
    office = parent.service_phone if parent is not None else ""
    text = _(
        "Our condolences. The pension of %(name)s ended after the month of death. The family may claim the "
        "one-off funeral grant and survivor benefit and close the pension account at the social insurance "
        "office with the death certificate. Call %(hotline)s for help."
    ) % {"name": pensioner.name, "hotline": office or settings.SERVICE_HOTLINE}
    if overpaid > 0:
        text += _(" %(amount)s yuan paid after the month of death must be returned.") % {"amount": overpaid}
    for phone in sorted(phone for phone in phones if phone):
        _sms(to=phone, text=text, reason=f"death_benefits:{case.pk}:{phone}", pensioner_id=pensioner.pk)
