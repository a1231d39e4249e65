"""The village assistant's monthly report: filed once per village and month, amended by new versions."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, Region, User
from accounts.selectors import Capability, region_scope_q
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ConflictError, NotFoundError
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseNote,
    EvidenceFile,
    MonthlyReport,
    MonthlyReportItem,
)
from casework.rules import (
    _validate_event_date,
    case_cause,
    month_start,
    monthly_report_due_on,
)
from casework.services.cases import case_open
from casework.services.evidence import evidence_lock, evidence_resolve
from selfservice.benefits import benefit_has_ended, benefits_hold

EVENT_CATEGORY: dict[str, str] = {
    MonthlyReportItem.Event.DEATH: Case.Category.SUSPECTED_DEATH,
    MonthlyReportItem.Event.IMPRISONMENT: Case.Category.IMPRISONED,
    MonthlyReportItem.Event.MISSING: Case.Category.MISSING,
    MonthlyReportItem.Event.MOVED_AWAY: Case.Category.MOVED_AWAY,
    MonthlyReportItem.Event.DUPLICATE_RECEIPT: Case.Category.DUPLICATE_RECEIPT,
    MonthlyReportItem.Event.OTHER: Case.Category.ONSITE_VISIT,
}


def _assigned_village(*, actor: User, village_id: int) -> Region:
    village = (
        Region.objects.filter(region_scope_q(actor=actor, capability=Capability.VILLAGE_REPORT))
        .filter(pk=village_id)
        .first()
    )
    if village is None:
        raise NotFoundError()
    return village


def _validate_report_body(
    *, actor: User, village: Region, is_zero: bool, items: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], Pensioner, list[EvidenceFile]]]:
    if is_zero and items:
        raise ApplicationError(
            _("A zero report cannot list anyone. Remove the entries or report them normally."),
            code="zero_report_has_items",
            fields={"items": [_("Must be empty for a zero report.")]},
        )
    if not is_zero and not items:
        raise ApplicationError(
            _("The report lists nobody. If nothing happened this month, submit a zero report."),
            code="report_empty",
            fields={"items": [_("Add at least one entry, or mark the report as a zero report.")]},
        )
    pensioners = {
        p.pk: p
        for p in Pensioner.objects.select_related("region").filter(pk__in=[item["pensioner_id"] for item in items])
    }
    seen: set[tuple[int, str]] = set()
    errors: dict[str, Any] = {}
    resolved = []
    for index, item in enumerate(items):
        pensioner = pensioners.get(item["pensioner_id"])
        key = (item["pensioner_id"], item["event"])
        if pensioner is None or pensioner.region_id != village.pk:
            errors[f"items[{index}].pensioner_id"] = [_("This person is not registered in this village.")]
            continue
        if key in seen:
            errors[f"items[{index}]"] = [_("The same person and event are listed twice.")]
            continue
        seen.add(key)
        if benefit_has_ended(pensioner):
            errors[f"items[{index}].pensioner_id"] = [_("This person's benefit has already ended.")]
            continue
        try:
            _validate_event_date(day=item["event_date"], pensioner=pensioner, field=f"items[{index}].event_date")
            evidence = evidence_resolve(
                actor=actor, evidence_ids=item.get("evidence_ids", ()), field=f"items[{index}].evidence_ids"
            )
        except ApplicationError as exc:
            errors.update(exc.fields)
            continue
        resolved.append((item, pensioner, evidence))
    if errors:
        raise ApplicationError(_("Some entries of the report are not correct."), code="invalid", fields=errors)
    return resolved


def _item_case(
    *, item: MonthlyReportItem, actor: User, evidence: list[EvidenceFile], request: HttpRequest | None
) -> Case:
    case = case_open(
        pensioner=item.pensioner,
        category=EVENT_CATEGORY[item.event],
        source=Case.Source.VILLAGE_REPORT,
        opened_by=actor,
        summary=_("Village report %(period)s: %(event)s")
        % {"period": item.report.period.strftime("%Y-%m"), "event": item.get_event_display()},
        details={
            "type": "monthly_report_item",
            "report_id": item.report_id,
            "version": item.report.version,
            "event": item.event,
            "event_date": item.event_date.isoformat(),
            "note": item.note,
        },
    )
    if item.event == MonthlyReportItem.Event.DEATH:
        benefits_hold(pensioner=item.pensioner, cause=case_cause(case), actor=actor, request=request)
    return case


def _report_replay(*, actor: User, client_request_id: uuid.UUID) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(submitted_by=actor, client_request_id=client_request_id).first()


def _report_items_create(
    *,
    report: MonthlyReport,
    actor: User,
    resolved: list[tuple[dict[str, Any], Pensioner, list[EvidenceFile]]],
    previous: MonthlyReport | None,
    request: HttpRequest | None,
) -> None:
    evidence_lock([e for _data, _pensioner, evidence in resolved for e in evidence])
    previous_cases = {}
    if previous is not None:
        previous_cases = {(i.pensioner_id, i.event): i.case for i in previous.items.select_related("case")}
    for data, pensioner, evidence in resolved:
        item = MonthlyReportItem.objects.create(
            report=report,
            pensioner=pensioner,
            event=data["event"],
            event_date=data["event_date"],
            note=(data.get("note") or "").strip()[:500],
        )
        item.evidence.set(evidence)
        case = previous_cases.pop((pensioner.pk, data["event"]), None)
        if case is None or case.status not in OPEN_STATUSES:
            case = _item_case(item=item, actor=actor, evidence=evidence, request=request)
        item.case = case
        item.save(update_fields=["case"])
        case.evidence.add(*evidence)
    for (_pensioner_id, event), case in previous_cases.items():
        if case is not None and case.status in OPEN_STATUSES:
            CaseNote.objects.create(
                case=case,
                author=actor,
                text=_("The %(event)s entry was withdrawn in version %(version)d of the village report.")
                % {"event": MonthlyReportItem.Event(event).label, "version": report.version},
            )
            audit_record(actor=actor, action="case.note", target=case, details={"report": report.pk})


def monthly_report_submit(
    *,
    actor: User,
    village_id: int,
    period: datetime.date,
    is_zero: bool,
    items: Sequence[dict[str, Any]],
    client_request_id: uuid.UUID,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[MonthlyReport, bool]:
    """File the first version of a village's report for ``period`` (a zero report if nothing happened).

    One report per village and month: if one exists, it must be amended instead.
    """
    replay = _report_replay(actor=actor, client_request_id=client_request_id)
    if replay is not None:
        return replay, False
    village = _assigned_village(actor=actor, village_id=village_id)
    period = month_start(period)
    if period > month_start(timezone.localdate()):
        message = _("A report cannot be filed for a future month.")
        raise ApplicationError(message, code="period_in_future", fields={"period": [message]})
    resolved = _validate_report_body(actor=actor, village=village, is_zero=is_zero, items=items)
    now = timezone.now()
    try:
        with transaction.atomic():
            current = MonthlyReport.objects.filter(village=village, period=period, is_current=True).first()
            if current is not None:
                # A retry of this very request may have committed since the first look: it is a replay.
                replay = _report_replay(actor=actor, client_request_id=client_request_id)
                if replay is not None:
                    return replay, False
                raise ConflictError(
                    _("This month's report was already submitted. Amend it instead."),
                    code="report_exists",
                    extra={"report_id": current.pk},
                )
            report = MonthlyReport.objects.create(
                village=village,
                period=period,
                version=1,
                is_zero=is_zero,
                note=note.strip()[:1000],
                due_on=monthly_report_due_on(period),
                submitted_by=actor,
                submitted_at=now,
                first_submitted_at=now,
                client_request_id=client_request_id,
            )
            _report_items_create(report=report, actor=actor, resolved=resolved, previous=None, request=request)
            audit_record(
                actor=actor,
                action="monthly_report.submit",
                target=report,
                details={
                    "village": village.code,
                    "period": period.isoformat(),
                    "zero": is_zero,
                    "late": report.is_late,
                },
                request=request,
            )
    except IntegrityError:
        replay = _report_replay(actor=actor, client_request_id=client_request_id)
        if replay is not None:
            return replay, False
        current = MonthlyReport.objects.filter(village=village, period=period, is_current=True).first()
        raise ConflictError(
            _("This month's report was already submitted. Amend it instead."),
            code="report_exists",
            extra={"report_id": current.pk if current else None},
        ) from None
    return report, True


def monthly_report_amend(
    *,
    actor: User,
    report_id: int,
    is_zero: bool,
    items: Sequence[dict[str, Any]],
    client_request_id: uuid.UUID,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[MonthlyReport, bool]:
    """Replace the current version by a new one; the old version stays readable as it was."""
    replay = _report_replay(actor=actor, client_request_id=client_request_id)
    if replay is not None:
        return replay, False
    try:
        with transaction.atomic():
            previous = MonthlyReport.objects.select_for_update().filter(pk=report_id).first()
            if previous is None:
                raise NotFoundError()
            village = _assigned_village(actor=actor, village_id=previous.village_id)
            if not previous.is_current:
                # Superseded by a retry of this very request that held the lock first: a replay.
                replay = _report_replay(actor=actor, client_request_id=client_request_id)
                if replay is not None:
                    return replay, False
                raise ConflictError(
                    _("A newer version of this report exists. Amend the latest version."),
                    code="report_superseded",
                    extra={
                        "report_id": MonthlyReport.objects.get(
                            village=previous.village, period=previous.period, is_current=True
                        ).pk
                    },
                )
            resolved = _validate_report_body(actor=actor, village=village, is_zero=is_zero, items=items)
            previous.is_current = False
            previous.save(update_fields=["is_current"])
            report = MonthlyReport.objects.create(
                village=village,
                period=previous.period,
                version=previous.version + 1,
                is_zero=is_zero,
                supersedes=previous,
                note=note.strip()[:1000],
                due_on=previous.due_on,
                submitted_by=actor,
                submitted_at=timezone.now(),
                first_submitted_at=previous.first_submitted_at,
                client_request_id=client_request_id,
            )
            _report_items_create(report=report, actor=actor, resolved=resolved, previous=previous, request=request)
            audit_record(
                actor=actor,
                action="monthly_report.amend",
                target=report,
                details={"amends": previous.pk, "version": report.version, "zero": is_zero},
                request=request,
            )
    except IntegrityError:
        replay = _report_replay(actor=actor, client_request_id=client_request_id)
        if replay is not None:
            return replay, False
        raise ConflictError(
            _("A newer version of this report exists. Amend the latest version."), code="report_superseded"
        ) from None
    return report, True
