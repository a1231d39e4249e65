"""The dashboard's django-q2 schedule, installed by ``python manage.py setup_schedules``."""

from __future__ import annotations

from typing import Any

#: How often the summary tables are rebuilt: the most the served figures lag (docs/dashboard.md).
REFRESH_MINUTES = 15


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "dashboard.summaries_refresh",
            "func": "dashboard.tasks.summaries_refresh_scheduled",
            "schedule_type": Schedule.MINUTES,
            "minutes": REFRESH_MINUTES,
        }
    ]
