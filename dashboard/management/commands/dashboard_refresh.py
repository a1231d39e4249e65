"""Rebuild the dashboard's summary tables now (also scheduled every 15 minutes; run it at deploy)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from dashboard.services import summaries_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's summary tables from the live tables."

    def handle(self, *args: Any, **options: Any) -> None:
        state = summaries_refresh()
        self.stdout.write(
            f"dashboard summaries as of {timezone.localtime(state.refreshed_at):%Y-%m-%d %H:%M:%S} "
            f"({state.seconds:.1f} s)"
        )
