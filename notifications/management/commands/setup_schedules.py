"""Create or update every app's django-q2 schedules; safe to run on every deploy.

Each installed app may provide ``<app>.schedules.schedules()`` returning dicts with ``name``,
``func``, ``schedule_type`` and ``cron`` or ``minutes``. Schedules are matched by name with
``update_or_create`` (django-q2's ``schedule()`` raises on a duplicate name). ``next_run`` is
recomputed only for new or changed schedules, so re-running does not shift a pending run.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

FIELDS = ("func", "schedule_type", "cron", "minutes", "args", "kwargs")


def collect() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for config in apps.get_app_configs():
        try:
            module = import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        found.extend(module.schedules())
    return found


class Command(BaseCommand):
    help = "Create or update the django-q2 schedules of every app (idempotent)."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        from django_q.models import Schedule

        for spec in collect():
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
