"""``manage.py evidence_ingest --source KEY PATH [--rejects PATH]``: load one agency file."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backend.api.errors import ApplicationError
from silent.models import DataSource
from silent.services.ingest import default_rejects_path, evidence_ingest_file


class Command(BaseCommand):
    help = (
        "Load an agency's records (CSV with header record_id,id_number,name,event_date[,detail], or JSON Lines "
        "with the same fields) as evidence events. Prints rows, accepted, duplicates, rejected; rejected rows go "
        "to PATH.rejects.csv (or --rejects) with the line number and a reason code."
    )

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("--source", required=True, help="data source key, e.g. vaccination")
        parser.add_argument("path", type=Path)
        parser.add_argument("--rejects", type=Path, default=None, help="where to write rejected rows")
        parser.add_argument("--quiet-progress", action="store_true", help="no progress lines on stderr")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        source = DataSource.objects.filter(key=options["source"]).first()
        if source is None:
            keys = ", ".join(DataSource.objects.order_by("key").values_list("key", flat=True))
            raise CommandError(f"Unknown source {options['source']!r}. Known: {keys}")
        if not source.active:
            raise CommandError(f"Source {source.key!r} is not active.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        rejects = Path(options["rejects"]) if options["rejects"] else default_rejects_path(path)

        def progress(done: int) -> None:
            if not options["quiet_progress"]:
                sys.stderr.write(f"\r{done:,} rows")
                sys.stderr.flush()

        try:
            batch = evidence_ingest_file(source=source, path=path, rejects_path=rejects, progress=progress)
        except ApplicationError as exc:
            raise CommandError(f"{path}: {exc.message}") from None
        if not options["quiet_progress"]:
            sys.stderr.write("\n")
        self.stdout.write(f"rows: {batch.rows}")
        self.stdout.write(f"accepted: {batch.accepted}")
        self.stdout.write(f"duplicates: {batch.duplicates}")
        self.stdout.write(f"rejected: {batch.rejected}")
        if batch.rejected:
            self.stdout.write(f"rejects: {rejects}")
