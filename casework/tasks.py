"""django-q2 entry points of casework (dotted paths in schedules); safe to run twice."""

from __future__ import annotations

from casework import reminders


def reports_chase_daily() -> dict[str, object]:
    result = reminders.reports_chase_daily()
    return {"created": dict(result.created), "candidates": dict(result.candidates)}


def visit_queue_daily() -> dict[str, object]:
    """Build today's visit tasks, then chase the visitors of tasks past their due date (once each)."""
    from casework.services.visits import visit_queue_build, visit_tasks_chase
    from notifications.services import sms_drain_soon

    result = visit_queue_build()
    chased = visit_tasks_chase()
    if chased:
        sms_drain_soon()
    return {
        "candidates": result.candidates,
        "created": result.created,
        "unassigned": result.unassigned,
        "chased": chased,
    }


def suspect_lists_monthly() -> dict[str, object]:
    from casework.services.suspect_lists import suspect_lists_build
    from notifications.services import sms_drain_soon

    result = suspect_lists_build()
    if result.lists:
        sms_drain_soon()
    return {"candidates": result.candidates, "lists": result.lists, "entries": result.entries}
