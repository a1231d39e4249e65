"""Verify the audit log's hash chain; exit non-zero naming the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.audit_chain import audit_chain_verify


class Command(BaseCommand):
    help = (
        "Check that no audit event was changed, removed or inserted: recompute every hash in order. "
        "Note the printed head (position and hash) somewhere outside the database: a later run must "
        "reach a head at or past it, which also catches removal of the newest events."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if not report.ok:
            raise CommandError(
                f"audit chain broken at position {report.broken_seq} (event id {report.broken_event_id}): "
                f"{report.reason}. {report.checked} events before it are intact."
            )
        self.stdout.write(
            f"OK: {report.checked} chained events intact; head position {report.head_seq} "
            f"hash {report.head_hash or '-'}; {report.unchained} events from before the chain."
        )
