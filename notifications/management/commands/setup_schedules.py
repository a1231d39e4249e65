"""Create or update every app's django-q2 schedules; safe to run on every deploy.

Each installed app may provide ``<app>.schedules.schedules()`` returning dicts with ``name``,
``func``, ``schedule_type`` and ``cron`` or ``minutes``. Schedules are matched by name with
``update_or_create`` (django-q2's ``schedule()`` raises on a duplicate name). ``next_run`` is
recomputed only for new or changed schedules, so re-running does not shift a pending run. A
schedule named after an installed app that the app no longer declares (a job that moved to the
app that owns it) is deleted, so no worker calls a task that is gone.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from backend.discovery import app_modules

FIELDS = ("func", "schedule_type", "cron", "minutes", "args", "kwargs")


def collect() -> list[dict[str, Any]]:
    return [spec for module in app_modules("schedules") for spec in module.schedules()]


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of every app (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.models import Schedule

        specs = collect()
        for spec in specs:
            defaults = {"cron": None, "minutes": None, "args": None, "kwargs": None, "repeats": -1}
            defaults |= {key: value for key, value in spec.items() if key != "name"}
            before = Schedule.objects.filter(name=spec["name"]).values(*FIELDS).first()
            schedule, created = Schedule.objects.update_or_create(name=spec["name"], defaults=defaults)
            changed = before is not None and any(before[key] != getattr(schedule, key) for key in FIELDS)
            if created or changed:
                schedule.next_run = (
                    schedule.calculate_next_run() if schedule.schedule_type == Schedule.CRON else timezone.now()
                )
                schedule.save(update_fields=["next_run"])
            state = "created" if created else "updated" if changed else "unchanged"
            next_run = timezone.localtime(schedule.next_run)
            self.stdout.write(f"{spec['name']}: {state}, next run {next_run:%Y-%m-%d %H:%M}")
        declared = {spec["name"] for spec in specs}
        for config in apps.get_app_configs():
            stale = Schedule.objects.filter(name__startswith=f"{config.label}.").exclude(name__in=declared)
            for name in stale.values_list("name", flat=True):
                self.stdout.write(f"{name}: removed (no longer declared)")
            stale.delete()
