"""Reads for the SMS transport: the clock and quiet hours."""

from __future__ import annotations

import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone


def local_today() -> datetime.date:
    return timezone.localdate()


# --- Quiet hours -------------------------------------------------------------------------------


def _clock(value: str) -> datetime.time | None:
    value = (value or "").strip()
    if not value:
        return None
    hours, _sep, minutes = value.partition(":")
    return datetime.time(int(hours), int(minutes or 0))


def quiet_hours_end(now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When the current quiet period ends, or None when sending is allowed now.

    Quiet hours are wall-clock times in ``SMS_QUIET_HOURS_TZ`` (default 21:00–08:00 Asia/Shanghai)
    whatever the server's zone; a window may wrap midnight. Equal or empty bounds disable it.
    """
    start, end = _clock(settings.SMS_QUIET_HOURS_START), _clock(settings.SMS_QUIET_HOURS_END)
    if start is None or end is None or start == end:
        return None
    zone = zoneinfo.ZoneInfo(settings.SMS_QUIET_HOURS_TZ)
    local = (now or timezone.now()).astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if start < end:  # e.g. 00:00–07:00
        if not start <= clock < end:
            return None
        end_day = local.date()
    else:  # wraps midnight, e.g. 21:00–08:00
        if end <= clock < start:
            return None
        end_day = local.date() + datetime.timedelta(days=1) if clock >= start else local.date()
    return datetime.datetime.combine(end_day, end, tzinfo=zone)


# --- Liveness of the task cluster ------------------------------------------------------------------


def sms_oldest_due_seconds(now: datetime.datetime | None = None) -> float | None:
    """How long the oldest login code, reply or notice that is due has been waiting to be sent (None when
    nothing is due). These go out within seconds of being queued (reminders are paced by the drain and
    are left out), so a large value means the task cluster stopped taking tasks: django-q2 can hang for
    good when a worker dies while it holds the task queue's read lock (django-q2 issue 23)."""
    from notifications.models import SmsOutbox

    now = now or timezone.now()
    oldest = (
        SmsOutbox.objects.filter(
            status=SmsOutbox.Status.PENDING,
            kind__in=[SmsOutbox.Kind.LOGIN_CODE, SmsOutbox.Kind.REPLY, SmsOutbox.Kind.NOTICE],
            send_after__lte=now,
        )
        .order_by("send_after")
        .values_list("send_after", flat=True)
        .first()
    )
    return None if oldest is None else (now - oldest).total_seconds()
