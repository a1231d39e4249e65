"""Monthly suspect lists to the villages (每月疑似死亡数据发到镇村核对): the people flagged in each
village, for its assistant to check; each answer feeds the same flows as a visit."""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, Region, User
from accounts.selectors import Capability, region_scope_q, village_assistant_phones
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ConflictError, NotFoundError
from backend.formats import plain_date
from casework import hooks
from casework.models import OPEN_STATUSES, Case, CaseNote, SuspectList, SuspectListEntry, VisitTask
from casework.rules import _validate_event_date, month_start
from casework.services.notify import _sms
from casework.services.visits import PRIORITY, finding_apply
from casework.visit_selectors import village_visitors

ANSWER_FINDING: dict[str, str] = {
    SuspectListEntry.Answer.ALIVE: VisitTask.Outcome.CERTIFIED,
    SuspectListEntry.Answer.DIED: VisitTask.Outcome.DECEASED,
    SuspectListEntry.Answer.MOVED: VisitTask.Outcome.MOVED_AWAY,
}


@dataclass
class SuspectListResult:
    candidates: dict[str, int] = field(default_factory=dict)
    lists: int = 0
    entries: int = 0


def suspect_lists_build(*, today: datetime.date | None = None) -> SuspectListResult:
    """This month's list per village with flagged people; safe to run again (adds only new people)."""
    today = today or timezone.localdate()
    period = month_start(today)
    result = SuspectListResult()
    reasons: dict[int, list[str]] = defaultdict(list)
    for reason, source in sorted(hooks.suspect_sources().items()):
        ids = list(source(today))
        result.candidates[reason] = len(ids)
        for pensioner_id in ids:
            reasons[pensioner_id].append(reason)
    by_village: dict[int, list[int]] = defaultdict(list)
    rows = (
        Pensioner.objects.filter(pk__in=list(reasons), deceased_on__isnull=True)
        .exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
        .values_list("pk", "region_id")
    )
    for pensioner_id, village_id in rows.iterator(chunk_size=2000):
        by_village[village_id].append(pensioner_id)
    assistants = village_assistant_phones(village_ids=list(by_village))
    for village_id, pensioner_ids in sorted(by_village.items()):
        with transaction.atomic():
            suspect_list, created = SuspectList.objects.get_or_create(village_id=village_id, period=period)
            result.lists += created
            listed = set(suspect_list.entries.values_list("pensioner_id", flat=True))
            made = SuspectListEntry.objects.bulk_create(
                [
                    SuspectListEntry(suspect_list=suspect_list, pensioner_id=pk, reasons=reasons[pk])
                    for pk in sorted(pensioner_ids)
                    if pk not in listed
                ],
                ignore_conflicts=True,  # a concurrent run added the same person: keep theirs
            )
            result.entries += len(made)
            if created:
                audit_record(
                    actor=None,
                    action="suspect_list.create",
                    target=suspect_list,
                    details={"entries": len(pensioner_ids)},
                )
                for user_id, phone in assistants.get(village_id, ()):
                    _sms(
                        to=phone,
                        reason=f"suspect_list:{suspect_list.pk}:a{user_id}",
                        text=_(
                            "This month's list of %(count)d people to check in your village is in the app. "
                            "Please say for each one whether they are alive, have died or have moved."
                        )
                        % {"count": len(pensioner_ids)},
                    )
    return result


def _entry_in_scope(*, actor: User, entry_id: int, list_id: int) -> SuspectListEntry:
    """Only the village's assistant answers (``Capability.VILLAGE_REPORT``); anyone else gets 404."""
    villages = Region.objects.filter(region_scope_q(actor=actor, capability=Capability.VILLAGE_REPORT))
    entry = (
        SuspectListEntry.objects.select_for_update()
        .select_related("pensioner__region", "suspect_list")
        .filter(pk=entry_id, suspect_list_id=list_id, suspect_list__village__in=villages)
        .first()
    )
    if entry is None:
        raise NotFoundError()
    return entry


def _alive_note(*, entry: SuspectListEntry, actor: User, seen_on: datetime.date) -> None:
    """Seen alive without a photo: not a certification, but what open verifications need to hear."""
    text = _("The village assistant saw the person alive on %(date)s.") % {"date": plain_date(seen_on)}
    for case in Case.objects.filter(pensioner=entry.pensioner, status__in=OPEN_STATUSES):
        CaseNote.objects.create(case=case, author=actor, text=text)
        audit_record(actor=actor, action="case.note", target=case, details={"suspect_entry": entry.pk})


def _unknown_task(*, entry: SuspectListEntry) -> VisitTask:
    task = VisitTask.objects.filter(pensioner=entry.pensioner, status=VisitTask.Status.OPEN).first()
    if task is not None:
        return task
    today = timezone.localdate()
    return VisitTask.objects.create(
        pensioner=entry.pensioner,
        reason=VisitTask.Reason.SUSPECT_LIST,
        reasons=[VisitTask.Reason.SUSPECT_LIST],
        priority=PRIORITY.index(VisitTask.Reason.SUSPECT_LIST),
        assignee_id=village_visitors(village_ids=[entry.pensioner.region_id]).get(entry.pensioner.region_id),
        created_on=today,
        due_on=today + datetime.timedelta(days=settings.CASEWORK_VISIT_TASK_DAYS),
    )


@transaction.atomic
def suspect_entry_answer(
    *,
    actor: User,
    list_id: int,
    entry_id: int,
    answer: str,
    data: dict[str, Any],
    request: HttpRequest | None = None,
) -> SuspectListEntry:
    """Record the assistant's answer for one person and start what it calls for: a proof of life to
    confirm (alive, with a photo), a death report (died), a moved-away case (moved), a visit (unknown)."""
    entry = _entry_in_scope(actor=actor, entry_id=entry_id, list_id=list_id)
    if entry.answer:
        raise ConflictError(_("This person has already been answered for."), code="suspect_entry_answered")
    seen_on: datetime.date | None = data.get("seen_on")
    if answer in (SuspectListEntry.Answer.ALIVE, SuspectListEntry.Answer.DIED):
        if seen_on is None:
            message = _("Please give the date.")
            raise ApplicationError(message, code="invalid", fields={"seen_on": [message]})
        _validate_event_date(day=seen_on, pensioner=entry.pensioner, field="seen_on")
    data.setdefault("client_request_id", uuid.uuid4())
    origin = {"type": "suspect_list", "list_id": list_id, "entry_id": entry.pk}
    created: dict[str, Any] = {}
    if answer == SuspectListEntry.Answer.ALIVE and not data.get("evidence_id"):
        _alive_note(entry=entry, actor=actor, seen_on=seen_on or timezone.localdate())
    elif answer == SuspectListEntry.Answer.UNKNOWN:
        entry.task = _unknown_task(entry=entry)
    else:
        if answer == SuspectListEntry.Answer.DIED:
            data = {**data, "date_of_death": seen_on, "place": data.get("place") or _("not stated")}
        created = finding_apply(
            actor=actor,
            pensioner=entry.pensioner,
            finding=ANSWER_FINDING[answer],
            data=data,
            origin=origin,
            request=request,
        )
    entry.answer = answer
    entry.seen_on = seen_on
    entry.note = (data.get("note") or "")[:500]
    entry.answered_by = actor
    entry.answered_at = timezone.now()
    entry.case = created.get("case")
    entry.save()
    audit_record(
        actor=actor,
        action="suspect_list.answer",
        target=entry,
        details={"answer": answer, "case": entry.case_id, "task": entry.task_id},
        pensioner_id=entry.pensioner_id,
        request=request,
    )
    return entry
