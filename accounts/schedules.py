"""The accounts app's django-q2 schedules, installed by ``python manage.py setup_schedules``."""

from __future__ import annotations

from typing import Any


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "accounts.tokens_expired_purge",
            "func": "accounts.tasks.tokens_expired_purge",
            "schedule_type": Schedule.CRON,
            "cron": "15 3 * * *",
        },
    ]
