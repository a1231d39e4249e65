"""Casework's django-q2 schedule, installed by ``python manage.py setup_schedules``."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    return [
        {
            "name": "casework.reports_chase",
            "func": "casework.tasks.reports_chase_daily",
            "schedule_type": Schedule.CRON,
            "cron": settings.NOTIFICATIONS_DAILY_CRON,
        },
        {
            "name": "casework.visit_queue",
            "func": "casework.tasks.visit_queue_daily",
            "schedule_type": Schedule.CRON,
            "cron": settings.NOTIFICATIONS_DAILY_CRON,
        },
        {
            # The first of each month: every village's list of people to check.
            "name": "casework.suspect_lists",
            "func": "casework.tasks.suspect_lists_monthly",
            "schedule_type": Schedule.CRON,
            "cron": "0 6 1 * *",
        },
        {
            "name": "casework.evidence_retention",
            "func": "casework.retention.evidence_expired_purge",
            "schedule_type": Schedule.CRON,
            "cron": settings.RETENTION_CRON,
        },
        {
            # Uploads never attached to anything, CASEWORK_EVIDENCE_ORPHAN_HOURS after they came in.
            "name": "casework.evidence_orphans",
            "func": "casework.retention.evidence_orphans_purge",
            "schedule_type": Schedule.CRON,
            "cron": settings.RETENTION_CRON,
        },
    ]
