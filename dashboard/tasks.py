"""Entry points for django-q2 (see ``dashboard/schedules.py``)."""

from __future__ import annotations

from dashboard.services import summaries_refresh


def summaries_refresh_scheduled() -> str:
    state = summaries_refresh()
    return f"dashboard summaries as of {state.refreshed_at:%Y-%m-%d %H:%M:%S}, {state.seconds:.1f} s"
