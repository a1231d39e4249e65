"""Reads for the notifications app: quiet hours, reminder stages and the planner's candidate sets.

Candidate sets are querysets over the ``(benefit_status, next_due)`` index: one indexed range per
step, streamed in chunks by the planner, never one query per pensioner.

``accounts.services`` imports ``notifications.services`` at load time, so nothing here imports
``accounts.services`` at module level.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from typing import cast

from django.apps import apps
from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import Pensioner, RelativeLink, VillageAssignment

Status = Pensioner.BenefitStatus


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


# --- Reminder stages ---------------------------------------------------------------------------


def reminder_stage(*, days_left: int, stages: Iterable[int] | None = None) -> int | None:
    """The stage a person is in: the smallest configured stage not below ``days_left``.

    With stages 30/7/1: 30..8 days left → 30, 7..2 → 7, 1..0 → 1. Using windows rather than exact
    days is what lets a missed daily run catch up on the next one without skipping anybody.
    """
    if days_left < 0:
        return None
    for stage in sorted(stages if stages is not None else settings.SMS_REMINDER_STAGES):
        if days_left <= stage:
            return stage
    return None


# --- Candidate sets ----------------------------------------------------------------------------


def _open_death_report() -> Exists | None:
    """A pending death report puts a person on hold: nobody texts a possibly bereaved family."""
    try:
        case_model = apps.get_model("casework", "Case")
    except LookupError:
        return None
    try:
        from casework.models import OPEN_STATUSES
    except ImportError:
        OPEN_STATUSES = ("open", "accepted")
    return Exists(
        case_model.objects.filter(pensioner=OuterRef("pk"), category="suspected_death", status__in=OPEN_STATUSES)
    )


def _without_death_reports(queryset: QuerySet[Pensioner]) -> QuerySet[Pensioner]:
    on_hold = _open_death_report()
    return queryset if on_hold is None else queryset.filter(~on_hold)


def pensioners_to_remind(*, today: datetime.date, horizon: int) -> QuerySet[Pensioner]:
    """Active, alive, not on hold, due between today and ``horizon`` days from now."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=Status.ACTIVE,
            deceased_on__isnull=True,
            next_due__gte=today,
            next_due__lte=today + datetime.timedelta(days=horizon),
        )
    )


def pensioners_overdue(*, today: datetime.date, grace_days: int) -> QuerySet[Pensioner]:
    """Active and past due, but still inside the grace period (the overdue-notice window)."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=Status.ACTIVE,
            deceased_on__isnull=True,
            next_due__gt=today - datetime.timedelta(days=grace_days),
            next_due__lt=today,
        )
    )


def pensioners_to_suspend(*, today: datetime.date, grace_days: int) -> QuerySet[Pensioner]:
    """Active and overdue for the whole grace period."""
    return Pensioner.objects.filter(
        benefit_status=Status.ACTIVE,
        deceased_on__isnull=True,
        next_due__lte=today - datetime.timedelta(days=grace_days),
    )


def pensioners_recently_suspended_overdue(*, today: datetime.date, within_days: int) -> QuerySet[Pensioner]:
    """Paused for overdue certification recently: they get how to restore it, once per cycle."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=Status.SUSPENDED,
            suspension_reason=Pensioner.SuspensionReason.OVERDUE,
            deceased_on__isnull=True,
            status_since__gte=today - datetime.timedelta(days=within_days),
        )
    )


def pensioners_recently_certified(*, today: datetime.date, within_days: int) -> QuerySet[Pensioner]:
    """Whose latest certification rolled the due date forward in the last days (the backstop set).

    A certification on day D gives ``next_due = D + validity``, so the indexed due-date range
    finds them; ``last_certification.valid_until == next_due`` drops new registrations.
    """
    from accounts.services import add_months  # lazy: see the module docstring

    months = settings.CERTIFICATION_VALIDITY_MONTHS
    since = timezone.now() - datetime.timedelta(days=within_days)
    return _without_death_reports(
        Pensioner.objects.filter(
            Q(benefit_status=Status.ACTIVE)
            | Q(benefit_status=Status.SUSPENDED, suspension_reason=Pensioner.SuspensionReason.OVERDUE),
            deceased_on__isnull=True,
            next_due__gte=add_months(today - datetime.timedelta(days=within_days), months),
            next_due__lte=add_months(today, months),
            last_certification__valid_until=F("next_due"),
            last_certification__created_at__gte=since,
        )
    )


def relative_phones(*, pensioner_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Approved relatives with a phone, per pensioner: ``{pensioner_id: [(user_id, phone), ...]}``."""
    ids = list(pensioner_ids)
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return found
    rows = RelativeLink.objects.filter(
        pensioner_id__in=ids,
        status=RelativeLink.Status.APPROVED,
        relative__phone__isnull=False,
        relative__is_active=True,
    ).values_list("pensioner_id", "relative_id", "relative__phone")
    for pensioner_id, user_id, phone in rows.order_by("pensioner_id", "relative_id"):
        found[pensioner_id].append((user_id, cast(str, phone)))  # phone__isnull=False above
    return found


def village_assistant_phones(*, village_ids: Iterable[int]) -> dict[int, list[tuple[int, str]]]:
    """Assistants assigned to each village who have a phone: ``{village_id: [(user_id, phone), ...]}``."""
    ids = list(set(village_ids))
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not ids:
        return found
    rows = VillageAssignment.objects.filter(
        village_id__in=ids, user__phone__isnull=False, user__is_active=True
    ).values_list("village_id", "user_id", "user__phone")
    for village_id, user_id, phone in rows.order_by("village_id", "user_id"):
        found[village_id].append((user_id, cast(str, phone)))  # phone__isnull=False above
    return found
