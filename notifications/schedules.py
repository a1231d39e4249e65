"""The notifications app's django-q2 schedules, installed by ``python manage.py setup_schedules``."""

from __future__ import annotations

from typing import Any


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "notifications.drain",
            "func": "notifications.tasks.sms_outbox_drain",
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
        },
        {
            "name": "notifications.sweep",
            "func": "notifications.tasks.sms_outbox_sweep",
            "schedule_type": Schedule.MINUTES,
            "minutes": 5,
        },
    ]
