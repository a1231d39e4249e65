"""Liveness check of the task cluster, for a process supervisor: exits 1 when an urgent SMS (login code,
reply, notice) has been due for longer than ``--max-age`` seconds and is still unsent.

django-q2 can stop taking tasks for good when one of its workers dies at the wrong moment (it held the
task queue's read lock; django-q2 issue 23, seen in bench/reliability). Nothing inside the cluster
notices, so the supervisor must: e.g. every minute ``manage.py sms_queue_check || systemctl restart
pension-qcluster`` (docs/reliability.md). The rows stay pending, and the drain sends them once the new
cluster runs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from notifications.selectors import sms_oldest_due_seconds


class Command(BaseCommand):
    help = "Exit 1 when an urgent SMS has waited longer than --max-age seconds (the task cluster is stuck)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--max-age", type=float, default=120, help="seconds (default 120)")

    def handle(self, *args: Any, **options: Any) -> None:
        age = sms_oldest_due_seconds()
        if age is not None and age > options["max_age"]:
            raise CommandError(f"stuck: an urgent SMS has been due for {age:.0f} s")
        self.stdout.write("ok" if age is None else f"ok: oldest due SMS waiting {age:.0f} s")
