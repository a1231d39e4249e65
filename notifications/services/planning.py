"""Bulk planning for the apps that own reminders and notices: rows inserted once per reason, sent
by the paced drain."""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.conf import settings
from django.utils import timezone

from notifications import texts
from notifications.models import SmsOutbox
from notifications.services.outbox import _enqueue
from notifications.sms import SmsKind

logger = logging.getLogger(__name__)


# --- Bulk planning (used by the apps that own reminders and notices) ---------------------------


@dataclass(frozen=True)
class Planned:
    reason: str
    recipient: str
    template: str
    kind: SmsKind
    pensioner_id: int | None
    cycle_due: datetime.date | None
    context: dict[str, Any]


@dataclass
class PlanResult:
    created: Counter[str] = field(default_factory=Counter)
    candidates: Counter[str] = field(default_factory=Counter)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


def chunks(iterable: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def sms_plan(planned: list[Planned], *, send_after: datetime.datetime, result: PlanResult) -> None:
    """Bulk insert, skipping reasons that exist: rendering and inserting only what is new.

    Rows wait for the paced drain (``sms_outbox_drain``); the caller queues it when done.
    """
    if not planned:
        return
    existing = set(
        SmsOutbox.objects.filter(reason__in=[item.reason for item in planned]).values_list("reason", flat=True)
    )
    now = timezone.now()
    new_rows = [
        SmsOutbox(
            recipient=item.recipient,
            kind=item.kind,
            template=item.template,
            text=texts.render(item.template, **item.context),
            reason=item.reason,
            pensioner_id_ref=item.pensioner_id,
            cycle_due=item.cycle_due,
            send_after=send_after,
            created_at=now,
        )
        for item in planned
        if item.reason not in existing
    ]
    # ignore_conflicts: a concurrent run may have inserted the same reasons since the check above.
    SmsOutbox.objects.bulk_create(new_rows, batch_size=1000, ignore_conflicts=True)
    for row in new_rows:
        result.created[row.template] += 1


def plan_candidates(queryset: Any, *fields: str) -> Iterator[list[tuple[Any, ...]]]:
    """Stream ``fields`` of a large candidate set in planner-sized chunks."""
    chunk = settings.NOTIFICATIONS_PLAN_CHUNK
    return chunks(queryset.values_list(*fields).iterator(chunk_size=chunk), chunk)


def sms_drain_soon() -> None:
    """Start the paced drain now rather than at its next minute (after a bulk plan)."""
    _enqueue("notifications.tasks.sms_outbox_drain")
