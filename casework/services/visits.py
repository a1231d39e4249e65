"""The visit queue: built daily for whoever the other channels cannot reach, worked by the village's
assistant or grid worker, closed with what they found (and that finding feeds the usual flows:
a proof of life to confirm, a death report, a moved-away or missing case). Unfinished tasks past
their due date are chased once by SMS.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import AuditEvent, Pensioner, User
from accounts.selectors import CAPABILITIES, Capability, Relationship, relationships_to
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ConflictError, NotFoundError
from casework import hooks
from casework.models import Case, ProofOfLife, VisitTask
from casework.services.cases import case_open
from casework.services.death_reports import death_report_submit
from casework.services.notify import _sms
from casework.services.proofs import _SOURCE, proof_of_life_record
from casework.visit_selectors import village_visitors

logger = logging.getLogger(__name__)

#: Most urgent first: the lower the index, the sooner the visit.
PRIORITY: list[str] = [
    VisitTask.Reason.SUSPENDED_UNREACHED,
    VisitTask.Reason.OVERDUE,
    VisitTask.Reason.FACE_FAILURES,
    VisitTask.Reason.NO_CONTACT,
    VisitTask.Reason.LOW_GRADE,
    VisitTask.Reason.SUSPECT_LIST,
]
CHUNK = 2000


@dataclass
class QueueResult:
    candidates: dict[str, int] = field(default_factory=dict)
    created: int = 0
    skipped_recent: int = 0
    unassigned: int = 0


def _recently_tasked(today: datetime.date) -> set[int]:
    """People with an open task, or a task created within the cool-down (not visited twice in a row)."""
    since = today - datetime.timedelta(days=settings.CASEWORK_VISIT_COOLDOWN_DAYS)
    return set(
        VisitTask.objects.filter(Q(status=VisitTask.Status.OPEN) | Q(created_on__gte=since)).values_list(
            "pensioner_id", flat=True
        )
    )


def visit_queue_build(*, today: datetime.date | None = None) -> QueueResult:
    """Daily: one open task per person who needs the net, with every reason found for them.

    Set-based: each registered trigger is one query for ids; tasks are inserted in chunks, and the
    partial unique index (one open task per person) makes a concurrent or repeated run harmless.
    """
    today = today or timezone.localdate()
    result = QueueResult()
    reasons: dict[int, list[str]] = defaultdict(list)
    triggers = hooks.visit_triggers()
    for reason in PRIORITY:
        trigger = triggers.get(reason)
        if trigger is None:
            continue
        ids = list(trigger(today))
        result.candidates[reason] = len(ids)
        for pensioner_id in ids:
            reasons[pensioner_id].append(reason)
    skip = _recently_tasked(today)
    wanted = sorted(pk for pk in reasons if pk not in skip)
    result.skipped_recent = len(reasons) - len(wanted)
    due_on = today + datetime.timedelta(days=settings.CASEWORK_VISIT_TASK_DAYS)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        villages = dict(
            Pensioner.objects.filter(pk__in=chunk, deceased_on__isnull=True)
            .exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
            .values_list("pk", "region_id")
        )
        visitors = village_visitors(village_ids=set(villages.values()))
        tasks = []
        for pensioner_id in chunk:
            if pensioner_id not in villages:
                continue
            found = reasons[pensioner_id]
            assignee = visitors.get(villages[pensioner_id])
            result.unassigned += assignee is None
            tasks.append(
                VisitTask(
                    pensioner_id=pensioner_id,
                    reason=found[0],
                    reasons=found,
                    priority=PRIORITY.index(found[0]),
                    assignee_id=assignee,
                    created_on=today,
                    due_on=due_on,
                )
            )
        with transaction.atomic():
            created = VisitTask.objects.bulk_create(tasks, ignore_conflicts=True, batch_size=CHUNK)
        result.created += len(created)
    AuditEvent.objects.create(
        actor=None,
        action="visit_queue.build",
        target_type=VisitTask._meta.label_lower,
        target_id="*",
        details={
            "day": today.isoformat(),
            "candidates": result.candidates,
            "created": result.created,
            "skipped_recent": result.skipped_recent,
        },
    )
    return result


def visit_tasks_chase(*, today: datetime.date | None = None) -> int:
    """Once per task: an SMS to its visitor when it is past due and still open (one SMS per visitor
    and day, counting their newly late tasks). Returns how many tasks were chased."""
    today = today or timezone.localdate()
    late = VisitTask.objects.filter(
        status=VisitTask.Status.OPEN, due_on__lt=today, chased_at__isnull=True, assignee__isnull=False
    ).values_list("pk", "assignee_id", "assignee__phone")
    by_visitor: dict[tuple[int, str | None], list[int]] = defaultdict(list)
    for pk, user_id, phone in late:
        by_visitor[(user_id, phone)].append(pk)
    now = timezone.now()
    chased = 0
    for (user_id, phone), task_ids in by_visitor.items():
        with transaction.atomic():
            _sms(
                to=phone,
                reason=f"visit_chase:u{user_id}:{today.isoformat()}",
                text=_(
                    "%(count)d home visits assigned to you are past their due date. Please visit and record the "
                    "result in the app; if you cannot, tell the social insurance office."
                )
                % {"count": len(task_ids)},
            )
            chased += VisitTask.objects.filter(pk__in=task_ids, chased_at__isnull=True).update(chased_at=now)
    return chased


def visit_tasks_cancel_certified(*, pensioner: Pensioner, certification: Any) -> int:
    """A certification by any channel makes the person's open visit task unnecessary."""
    if certification.method in ("onsite", "counter") and certification.evidence_ref.startswith("casework.proof:"):
        note = "certified by the recorded visit"
    else:
        note = f"certified ({certification.method}) before the visit"
    return VisitTask.objects.filter(pensioner=pensioner, status=VisitTask.Status.OPEN).update(
        status=VisitTask.Status.CANCELLED, note=note[:500]
    )


def visit_tasks_cancel_certified_bulk(*, certifications: list[Any]) -> int:
    """``visit_tasks_cancel_certified`` for a bulk of certifications (one method each call)."""
    cancelled = 0
    by_method: dict[str, list[int]] = {}
    for certification in certifications:
        by_method.setdefault(certification.method, []).append(certification.pensioner_id)
    for method, ids in by_method.items():
        cancelled += VisitTask.objects.filter(pensioner_id__in=ids, status=VisitTask.Status.OPEN).update(
            status=VisitTask.Status.CANCELLED, note=f"certified ({method}) before the visit"[:500]
        )
    return cancelled


# --- What a visitor found --------------------------------------------------------------------------


def _relationship(*, actor: User, pensioner: Pensioner) -> Relationship:
    relationships = relationships_to(actor=actor, pensioner=pensioner) & CAPABILITIES[Capability.RECORD_VISIT]
    for relationship in (Relationship.STAFF, Relationship.GRID_WORKER, Relationship.VILLAGE_ASSISTANT):
        if relationship in relationships:
            return relationship
    raise NotFoundError()


def finding_apply(
    *,
    actor: User,
    pensioner: Pensioner,
    finding: str,
    data: dict[str, Any],
    origin: dict[str, Any],
    task: VisitTask | None = None,
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    """The one place a visit outcome or a village's answer turns into the usual flows.

    ``finding``: ``certified`` (a proof of life to confirm), ``deceased`` (a death report: payment held,
    suspected-death case), ``moved_away`` (a moved-away case), ``not_found`` (a missing case).
    Returns what was created, for the caller to link.
    """
    if finding == VisitTask.Outcome.CERTIFIED:
        proof, _created = proof_of_life_record(
            actor=actor,
            pensioner_id=pensioner.pk,
            kind=ProofOfLife.Kind.ONSITE,
            seen_on=data["seen_on"],
            place=data.get("place", ""),
            evidence_id=data["evidence_id"],
            client_request_id=data["client_request_id"],
            compare_face=data.get("compare_face", False),
            task=task,
            request=request,
        )
        return {"proof": proof, "case": proof.case}
    if finding == VisitTask.Outcome.DECEASED:
        report, _created = death_report_submit(
            reporter=actor,
            pensioner_id=pensioner.pk,
            date_of_death=data["date_of_death"],
            place=data.get("place", ""),
            note=data.get("note", ""),
            evidence_ids=data.get("evidence_ids", ()),
            client_request_id=data["client_request_id"],
            request=request,
        )
        return {"death_report": report, "case": report.case}
    category = Case.Category.MOVED_AWAY if finding == VisitTask.Outcome.MOVED_AWAY else Case.Category.MISSING
    relationship = _relationship(actor=actor, pensioner=pensioner)
    summary = (
        _("Moved away, found on a visit") if category == Case.Category.MOVED_AWAY else _("Not found at home on a visit")
    )
    case = case_open(
        pensioner=pensioner,
        category=category,
        source=_SOURCE[relationship],
        opened_by=actor,
        summary=summary,
        details={**origin, "finding": finding, "note": data.get("note", "")[:500]},
    )
    return {"case": case}


_REQUIRED: dict[str, tuple[str, ...]] = {
    VisitTask.Outcome.CERTIFIED: ("seen_on", "evidence_id"),
    VisitTask.Outcome.DECEASED: ("date_of_death", "place"),
    VisitTask.Outcome.MOVED_AWAY: (),
    VisitTask.Outcome.NOT_FOUND: (),
}


def _require(outcome: str, data: dict[str, Any], required: Sequence[str]) -> None:
    missing = {name: [_("This field is required.")] for name in required if data.get(name) in (None, "")}
    if missing:
        raise ApplicationError(_("Some required information is missing."), code="invalid", fields=missing)


def visit_outcome_record(
    *, actor: User, task: VisitTask, outcome: str, data: dict[str, Any], request: HttpRequest | None = None
) -> VisitTask:
    """Close a visit task with what the visitor found; the finding goes into the usual flows in the
    same transaction. A task closes once: a second outcome is a conflict."""
    _require(outcome, data, _REQUIRED[outcome])
    data.setdefault("client_request_id", uuid.uuid4())
    with transaction.atomic():
        locked = VisitTask.objects.select_for_update().select_related("pensioner__region").get(pk=task.pk)
        if locked.status != VisitTask.Status.OPEN:
            raise ConflictError(_("This visit has already been closed."), code="visit_task_closed")
        created = finding_apply(
            actor=actor,
            pensioner=locked.pensioner,
            finding=outcome,
            data=data,
            origin={"type": "visit_task", "task_id": locked.pk},
            task=locked,
            request=request,
        )
        locked.status = VisitTask.Status.DONE
        locked.outcome = outcome
        locked.outcome_by = actor
        locked.outcome_at = timezone.now()
        locked.note = (data.get("note") or "")[:500]
        locked.case = created.get("case")
        locked.proof = created.get("proof")
        locked.save()
        audit_record(
            actor=actor,
            action="visit_task.outcome",
            target=locked,
            details={
                "outcome": outcome,
                "case": locked.case_id,
                "proof": locked.proof_id,
                "request_id": str(data["client_request_id"]),
            },
            request=request,
        )
    return locked
