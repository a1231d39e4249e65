"""django-q2 entry points of the certification cycle (dotted paths in schedules); safe to run twice."""

from __future__ import annotations

from selfservice import reminders


def certification_daily() -> dict[str, object]:
    result = reminders.certification_daily()
    return {
        "suspended": result.suspended,
        "created": dict(result.plan.created),
        "candidates": dict(result.plan.candidates),
    }
