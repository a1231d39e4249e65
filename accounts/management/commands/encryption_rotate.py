"""Re-encrypt personal data at rest with the current key; recompute blind indexes with the current index key.

Rotation: put the new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), restart, run this,
then drop the old keys. For a new FIELD_BLIND_INDEX_KEY: set it, run this at once (exact lookups miss the
rows not yet recomputed until it finishes). Batched, idempotent; rerun it to resume. See docs/security.md.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from backend.rotation import rotate


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column and file with the current key; recompute blind indexes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch", type=int, default=1000, help="rows per read and per transaction")
        parser.add_argument("--no-files", action="store_true", help="columns only, leave the files")

    def handle(self, *args: Any, **options: Any) -> None:
        verbose = options["verbosity"] >= 2
        counts = rotate(
            batch=options["batch"],
            files=not options["no_files"],
            progress=(lambda line: self.stdout.write(line)) if verbose else (lambda _line: None),
        )
        self.stdout.write(
            f"rows checked {counts.rows_checked}, values re-encrypted {counts.values_reencrypted}, "
            f"blind indexes recomputed {counts.indexes_recomputed}; files checked {counts.files_checked}, "
            f"rewritten {counts.files_rewritten}, missing {counts.files_missing}"
        )
