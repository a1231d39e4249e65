"""The daily comparison round as a django-q2 schedule (``python manage.py setup_schedules``).

It runs before the certification cycle's daily run (NOTIFICATIONS_DAILY_CRON, 07:30 by default),
so people certified from data get no reminder and are not suspended that morning.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "silent.round",
            "func": "silent.tasks.silent_round_daily",
            "schedule_type": Schedule.CRON,
            "cron": settings.SILENT_ROUND_CRON,
        },
    ]
