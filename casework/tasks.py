"""django-q2 entry points of casework (dotted paths in schedules); safe to run twice."""

from __future__ import annotations

from casework import reminders


def reports_chase_daily() -> dict[str, object]:
    result = reminders.reports_chase_daily()
    return {"created": dict(result.created), "candidates": dict(result.candidates)}
