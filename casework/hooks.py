"""What apps above casework plug into it (registered from their ``AppConfig.ready``, never imported here).

- ``face_review_attempt``: facecheck tells which selfie a ``face_review`` case is about (method and
  time), so approving the case certifies from that attempt.
- ``visit_face_comparer``: facecheck compares a visit photo with the enrolled reference photo, as a
  hint for the reviewer (never a decision).
- ``visit triggers``: who needs a visit today, by reason. Casework registers its own (overdue, no
  contact, suspended and not reached); facecheck registers repeated face failures; the silent
  certification app is expected to register ``low_grade`` (medium/low survival grade due soon).
- ``suspect sources``: who goes on a village's monthly suspect list, by reason (the same idea).

A trigger or source is ``fn(today) -> iterable of pensioner ids`` (a ``values_list`` queryset is best:
the queue build reads it set-wise).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import Pensioner
    from casework.models import Case, EvidenceFile


@dataclass(frozen=True)
class ReviewedAttempt:
    """The selfie a face review case is about, as the face app recorded it."""

    method: str  # "face" or "proxy_face"
    attempted_at: datetime.datetime
    evidence_ref: str


Trigger = Callable[[datetime.date], Iterable[int]]

_face_review_attempt: list[Callable[[Case], ReviewedAttempt | None]] = []
_visit_face_comparer: list[Callable[[Pensioner, EvidenceFile], dict[str, Any]]] = []
_visit_triggers: dict[str, Trigger] = {}
_suspect_sources: dict[str, Trigger] = {}


def register_face_review_attempt(fn: Callable[[Case], ReviewedAttempt | None]) -> None:
    _face_review_attempt[:] = [fn]


def register_visit_face_comparer(fn: Callable[[Pensioner, EvidenceFile], dict[str, Any]]) -> None:
    _visit_face_comparer[:] = [fn]


def register_visit_trigger(reason: str, fn: Trigger) -> None:
    """``reason`` is a ``VisitTask.Reason`` value; registering again replaces the function."""
    _visit_triggers[reason] = fn


def register_suspect_source(reason: str, fn: Trigger) -> None:
    _suspect_sources[reason] = fn


def face_review_attempt(case: Case) -> ReviewedAttempt | None:
    return _face_review_attempt[0](case) if _face_review_attempt else None


def visit_face_compare(pensioner: Pensioner, evidence: EvidenceFile) -> dict[str, Any]:
    """The comparison hint, or ``{"status": "unavailable"}`` when no face app is installed or it fails."""
    if not _visit_face_comparer:
        return {"status": "unavailable", "reason": "no_face_app"}
    try:
        return _visit_face_comparer[0](pensioner, evidence)
    except Exception as exc:  # a hint must never stop the record
        return {"status": "unavailable", "reason": type(exc).__name__}


def visit_triggers() -> dict[str, Trigger]:
    return dict(_visit_triggers)


def suspect_sources() -> dict[str, Trigger]:
    return dict(_suspect_sources)
