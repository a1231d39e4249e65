"""Chasing the villages' monthly reports: the assistants of every village whose report for last
month has not arrived are told once, after the due day (planned daily, idempotent by reason)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone

from accounts.models import Region
from accounts.selectors import village_assistant_phones
from casework.selectors import ReportState, monthly_report_status, reporting_period_now
from notifications import texts
from notifications.selectors import local_today, quiet_hours_end
from notifications.services import Planned, PlanResult, chunks, sms_drain_soon, sms_plan
from notifications.sms import SmsKind


def reports_missing_plan(*, today: datetime.date | None = None, now: datetime.datetime | None = None) -> PlanResult:
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    send_after = quiet_hours_end(now) or now
    result = PlanResult()
    period = reporting_period_now(today)
    villages = Region.objects.filter(village_assignments__isnull=False).distinct()
    statuses = monthly_report_status(villages=villages, period=period, today=today)
    missing = [status for status in statuses if status.state == ReportState.MISSING]
    result.candidates["report_missing"] += len(missing)
    assistants = village_assistant_phones(village_ids=[status.village.pk for status in missing])
    month = f"{period.year}年{period.month}月"
    planned = [
        Planned(
            f"report_missing:{status.village.pk}:{period:%Y-%m}:a{user_id}",
            phone,
            texts.REPORT_MISSING,
            SmsKind.NOTICE,
            None,
            None,
            {"village": status.village.name[:12], "month": month, "due": status.due_on},
        )
        for status in missing
        for user_id, phone in assistants.get(status.village.pk, ())
    ]
    for chunk in chunks(planned, settings.NOTIFICATIONS_PLAN_CHUNK):
        sms_plan(chunk, send_after=send_after, result=result)
    return result


def reports_chase_daily(*, today: datetime.date | None = None) -> PlanResult:
    result = reports_missing_plan(today=today or local_today())
    if result.total_created:
        sms_drain_soon()
    return result
