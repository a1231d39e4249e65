"""The facecheck app's django-q2 schedules, installed by ``python manage.py setup_schedules``."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "facecheck.duplicates",
            "func": "facecheck.tasks.face_duplicates_scan",
            "schedule_type": Schedule.CRON,
            "cron": settings.FACECHECK_DUPLICATE_SCAN_CRON,
        },
        {
            "name": "facecheck.selfies_retention",
            "func": "facecheck.retention.selfies_expired_purge",
            "schedule_type": Schedule.CRON,
            "cron": settings.RETENTION_CRON,
        },
    ]
