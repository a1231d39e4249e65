"""Loading agency records into evidence events: files from the command line, batches from the API.

Two paths give the same result (tests run both): on PostgreSQL the checked rows are streamed
through ``COPY`` into a temporary staging table and matched, de-duplicated and inserted by one
set-based statement; elsewhere (SQLite) rows are matched chunk by chunk. Either way memory stays
bounded by the chunk, a bad row is rejected with a reason and never aborts the batch, and
``(source, record_id)`` makes a second load of the same records add nothing.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Pensioner
from silent.models import DataSource, EvidenceEvent, IdNumberMapping, IngestBatch
from silent.services.rows import NAME_SQL, Row, checked_rows, detect_format, normalize_name, open_text

logger = logging.getLogger(__name__)

Progress = Callable[[int], None]


@dataclass
class Counts:
    rows: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    kept_rejects: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str, record_id: str, sink: IO[str] | None) -> None:
        self.rejected += 1
        if len(self.kept_rejects) < settings.SILENT_REJECTS_KEPT:
            self.kept_rejects.append({"line": line, "reason": reason, "record_id": record_id})
        if sink is not None:
            sink.write(f"{line},{reason},{_csv_cell(record_id)}\n")


def _csv_cell(value: str) -> str:
    if any(char in value for char in ',"\r\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


REJECTS_HEADER = "line,reason,record_id\n"


def default_rejects_path(path: Path) -> Path:
    return path.with_name(path.name + ".rejects.csv")


def evidence_ingest_file(
    *,
    source: DataSource,
    path: Path,
    rejects_path: Path | None = None,
    today: datetime.date | None = None,
    progress: Progress | None = None,
) -> IngestBatch:
    """Load one CSV or JSON Lines file; rejects go to ``rejects_path`` (next to the input by default)."""
    fmt = detect_format(path)  # refuses a file that is neither, before anything is written
    today = today or timezone.localdate()
    rejects_path = rejects_path or default_rejects_path(path)
    batch = IngestBatch.objects.create(source=source, channel=IngestBatch.Channel.FILE, file_name=str(path)[:300])
    with open_text(path) as stream, rejects_path.open("w", encoding="utf-8", newline="") as sink:
        sink.write(REJECTS_HEADER)
        counts = _load(
            source=source, batch=batch, rows=checked_rows(stream, fmt, today=today), sink=sink, progress=progress
        )
    return _finish(batch, counts)


def evidence_ingest_rows(
    *, source: DataSource, batch: IngestBatch, rows: Iterable[dict[str, Any]], today: datetime.date | None = None
) -> IngestBatch:
    """Load an API batch's rows (``line`` = position in the batch, from 1) into ``batch``."""
    from silent.services.rows import check_row

    today = today or timezone.localdate()
    checked = (
        check_row(line, values if isinstance(values, dict) else None, today=today)
        for line, values in enumerate(rows, start=1)
    )
    counts = _load(source=source, batch=batch, rows=checked, sink=None, progress=None)
    return _finish(batch, counts)


def _finish(batch: IngestBatch, counts: Counts) -> IngestBatch:
    batch.rows, batch.accepted, batch.duplicates, batch.rejected = (
        counts.rows,
        counts.accepted,
        counts.duplicates,
        counts.rejected,
    )
    batch.rejects = counts.kept_rejects
    batch.finished_at = timezone.now()
    batch.save(update_fields=["rows", "accepted", "duplicates", "rejected", "rejects", "finished_at"])
    logger.info(
        "evidence batch %s (%s): rows %s accepted %s duplicates %s rejected %s",
        batch.pk,
        batch.source_id,
        counts.rows,
        counts.accepted,
        counts.duplicates,
        counts.rejected,
    )
    return batch


def _load(
    *, source: DataSource, batch: IngestBatch, rows: Iterable[Row], sink: IO[str] | None, progress: Progress | None
) -> Counts:
    if connection.vendor == "postgresql":
        return _load_copy(source=source, batch=batch, rows=rows, sink=sink, progress=progress)
    return _load_simple(source=source, batch=batch, rows=rows, sink=sink, progress=progress)


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# --- The simple path (SQLite, small files) -----------------------------------------------------------


def _load_simple(
    *, source: DataSource, batch: IngestBatch, rows: Iterable[Row], sink: IO[str] | None, progress: Progress | None
) -> Counts:
    counts = Counts()
    for chunk in _chunks(rows, settings.SILENT_INGEST_CHUNK):
        with transaction.atomic():
            _simple_chunk(source=source, batch=batch, chunk=chunk, counts=counts, sink=sink)
        if progress is not None:
            progress(counts.rows)
    return counts


def _simple_chunk(*, source: DataSource, batch: IngestBatch, chunk: list[Row], counts: Counts, sink: IO[str] | None):
    numbers = {row.id_number for row in chunk if row.reason is None}
    mapping = dict(IdNumberMapping.objects.filter(old_number__in=numbers).values_list("old_number", "new_number"))
    people = {
        number: (pk, normalize_name(name))
        for pk, number, name in Pensioner.objects.filter(
            id_number__in={mapping.get(n, n) for n in numbers}
        ).values_list("pk", "id_number", "name")
    }
    record_ids = {row.record_id for row in chunk if row.reason is None}
    seen = set(
        EvidenceEvent.objects.filter(source=source, record_id__in=record_ids).values_list("record_id", flat=True)
    )
    now = timezone.now()
    new_events = []
    for row in chunk:
        counts.rows += 1
        reason = row.reason
        person = None
        if reason is None:
            person = people.get(mapping.get(row.id_number, row.id_number))
            if person is None:
                reason = "unknown_person"
            elif person[1] != row.name:
                reason = "name_mismatch"
        if reason is not None:
            counts.reject(row.line, reason, row.record_id, sink)
            continue
        if row.record_id in seen:
            counts.duplicates += 1
            continue
        seen.add(row.record_id)
        new_events.append(
            EvidenceEvent(
                source=source,
                record_id=row.record_id,
                pensioner_id=person[0],
                event_date=row.event_date,
                detail=row.detail,
                received_at=now,
                batch=batch,
            )
        )
    EvidenceEvent.objects.bulk_create(new_events, batch_size=500)
    counts.accepted += len(new_events)


# --- PostgreSQL: COPY into staging, then one set-based statement ------------------------------------

_STAGE = """
CREATE TEMP TABLE silent_stage (
    line bigint NOT NULL, record_id text NOT NULL, id_number text NOT NULL, name text NOT NULL,
    event_date date, detail text NOT NULL, reason text
) ON COMMIT DROP
"""

_REJECTS = "CREATE TEMP TABLE silent_stage_rejects (line bigint, reason text, record_id text) ON COMMIT DROP"

# Match (old→new mapping first), reject unknown people and name mismatches, insert the rest once
# per record id (ON CONFLICT: already loaded, or repeated in this batch), and keep the rejects.
_APPLY = """
WITH matched AS (
    SELECT s.line, s.record_id, s.event_date, s.detail, p.id AS pensioner_id,
           CASE WHEN s.reason IS NOT NULL THEN s.reason
                WHEN p.id IS NULL THEN 'unknown_person'
                WHEN p.name <> s.name AND {registry_name} <> s.name THEN 'name_mismatch'
           END AS reason
    FROM silent_stage s
    LEFT JOIN silent_idnumbermapping m ON m.old_number = s.id_number AND s.reason IS NULL
    LEFT JOIN accounts_pensioner p ON p.id_number = COALESCE(m.new_number, s.id_number) AND s.reason IS NULL
),
inserted AS (
    INSERT INTO silent_evidenceevent (source_id, record_id, pensioner_id, event_date, detail, received_at, batch_id)
    SELECT %(source)s, record_id, pensioner_id, event_date, detail, %(now)s, %(batch)s
    FROM matched WHERE reason IS NULL
    ORDER BY line
    ON CONFLICT (source_id, record_id) DO NOTHING
    RETURNING 1
),
rejected AS (
    INSERT INTO silent_stage_rejects (line, reason, record_id)
    SELECT line, reason, record_id FROM matched WHERE reason IS NOT NULL
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM rejected)
""".replace("{registry_name}", NAME_SQL.format(col="p.name"))


def _load_copy(
    *, source: DataSource, batch: IngestBatch, rows: Iterable[Row], sink: IO[str] | None, progress: Progress | None
) -> Counts:
    counts = Counts()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SET LOCAL work_mem = '256MB'")
        # ON COMMIT DROP does not fire inside an outer transaction (an API request, a test): drop first.
        cursor.execute("DROP TABLE IF EXISTS silent_stage, silent_stage_rejects")
        cursor.execute(_STAGE)
        cursor.execute(_REJECTS)
        with raw.copy(
            "COPY silent_stage (line, record_id, id_number, name, event_date, detail, reason) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(
                    (row.line, row.record_id, row.id_number, row.name, row.event_date, row.detail, row.reason)
                )
                counts.rows += 1
                if progress is not None and counts.rows % 100000 == 0:
                    progress(counts.rows)
        cursor.execute("ANALYZE silent_stage")
        cursor.execute(_APPLY, {"source": source.pk, "now": timezone.now(), "batch": batch.pk})
        counts.accepted, rejected = cursor.fetchone()
        with raw.copy(
            "COPY (SELECT line, reason, record_id FROM silent_stage_rejects ORDER BY line) TO STDOUT"
        ) as copy:
            copy.set_types(["int8", "text", "text"])
            for line, reason, record_id in copy.rows():
                counts.reject(line, reason, record_id, sink)
        if counts.rejected != rejected:  # pragma: no cover - both counts come from one statement
            raise RuntimeError("reject count mismatch")
        counts.duplicates = counts.rows - counts.accepted - counts.rejected
        cursor.execute("DROP TABLE silent_stage, silent_stage_rejects")
    if progress is not None:
        progress(counts.rows)
    return counts


def write_rejects_csv(rejects: list[dict[str, Any]], handle: IO[str]) -> None:
    writer = csv.writer(handle)
    writer.writerow(["line", "reason", "record_id"])
    for item in rejects:
        writer.writerow([item["line"], item["reason"], item["record_id"]])
