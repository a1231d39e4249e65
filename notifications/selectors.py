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
