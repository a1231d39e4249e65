"""Loading agency records into evidence events: files from the command line, batches from the API.

Two paths give the same result (tests run both): on PostgreSQL the raw rows are streamed through
``COPY`` into a temporary staging table, checked and matched by one set-based statement into a
second staging table, then de-duplicated and inserted by another; elsewhere (SQLite) rows are
matched chunk by chunk. Either way memory stays
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
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from accounts.idnumbers import CHECK_CHARS, CHECK_WEIGHTS
from silent.models import DataSource, EvidenceEvent, IdNumberMapping, IngestBatch
from silent.services.matching import (
    id_number_index_sql,
    match_params,
    name_index_sql,
    name_matches,
    pensioners_by_number,
)
from silent.services.rows import (
    MAX_DETAIL,
    MAX_RECORD_ID,
    NAME_SQL,
    Row,
    check_row,
    checked_rows,
    detect_format,
    iter_rows,
    open_text,
)

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
    with rejects_path.open("w", encoding="utf-8", newline="") as sink:
        sink.write(REJECTS_HEADER)
        if connection.vendor == "postgresql":
            fill = _fill_file(path, fmt, progress)
            counts = _load_pg(source=source, batch=batch, fill=fill, today=today, sink=sink, progress=progress)
        else:
            with open_text(path) as stream:
                rows = checked_rows(stream, fmt, today=today)
                counts = _load_simple(source=source, batch=batch, rows=rows, sink=sink, progress=progress)
    return _finish(batch, counts)


def evidence_ingest_rows(
    *, source: DataSource, batch: IngestBatch, rows: Iterable[dict[str, Any]], today: datetime.date | None = None
) -> IngestBatch:
    """Load an API batch's rows (``line`` = position in the batch, from 1) into ``batch``."""
    today = today or timezone.localdate()
    numbered = ((line, values if isinstance(values, dict) else None) for line, values in enumerate(rows, start=1))
    if connection.vendor == "postgresql":

        def fill(raw: Any) -> int:
            return _copy_rows(raw, numbered, None)

        counts = _load_pg(source=source, batch=batch, fill=fill, today=today, sink=None, progress=None)
    else:
        checked = (check_row(line, values, today=today) for line, values in numbered)
        counts = _load_simple(source=source, batch=batch, rows=checked, sink=None, progress=None)
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
    people = pensioners_by_number({mapping.get(n, n) for n in numbers})
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
            elif not name_matches(person[1], row.name):
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


# --- PostgreSQL: COPY the raw rows into staging, check and match them in SQL --------------------------
#
# The file's fields go into a temporary table as written (text, no checks in Python). A plain CSV
# (no quote characters: Python's and PostgreSQL's CSV dialects agree on it) is streamed byte for
# byte through ``COPY … (FORMAT csv)``; anything else (quotes, JSON Lines, a row PostgreSQL
# refuses, an API batch) is parsed by Python's reader and written row by row. Then ONE statement
# does every check of ``rows.check_row`` in SQL (same order, same reason codes), maps old numbers,
# matches the registry (``silent.services.matching``), inserts the accepted rows and keeps the
# rejects with their line numbers. The checks, the old→new mapping and both blind indexes run once
# per distinct (number, name) as written, not per row; the accepted rows are de-duplicated on the
# record id (first occurrence wins), the records already loaded are left out by an anti-join, and
# the rest go in by a plain INSERT in record-id order (no ON CONFLICT: loads of one source are
# serialised by an advisory lock, so nothing can insert the same record id meanwhile).

_RAW = """
CREATE TEMP TABLE silent_raw (
    line bigint GENERATED BY DEFAULT AS IDENTITY (START WITH 2), bad boolean NOT NULL DEFAULT false,
    record_id text COLLATE "C", id_number text COLLATE "C", name text COLLATE "C", event_date text COLLATE "C",
    detail text COLLATE "C"
) ON COMMIT DROP
"""

_CHECKED = """
CREATE TEMP TABLE silent_checked (
    line bigint, rid text COLLATE "C", dt text, ed date, pensioner_id bigint, reason text
) ON COMMIT DROP
"""

#: Python's ``str.strip()`` characters, for ``btrim`` (every ``isspace`` character is below U+3001).
PY_WHITESPACE = "".join(char for char in map(chr, range(0x3001)) if char.isspace())


#: The 17-digit body cut into groups of at most three digits (GB 11643 weights: ``accounts.idnumbers``):
#: each group's weighted digit sum modulo 11 is read from a constant array of its 10, 100 or 1,000
#: possible values (six integer lookups per number instead of 17 substrings).
_GROUPS = ((0, 2), (2, 5), (5, 8), (8, 11), (11, 14), (14, 17))


def _group_table(start: int, end: int) -> str:
    width, weights = end - start, CHECK_WEIGHTS[start:end]
    sums = (
        sum(int(digit) * weight for digit, weight in zip(f"{value:0{width}d}", weights, strict=True)) % 11
        for value in range(10**width)
    )
    return "'{" + ",".join(map(str, sums)) + "}'::int[]"


def _check_digit_sql(body: str) -> str:
    """GB 11643 check character of a 17-digit body given as a bigint ``{body}``, as
    ``accounts.idnumbers.check_digit`` computes it from the digits."""
    groups = (f"({_group_table(a, b)})[(({body} / {10 ** (17 - b)}) %% {10 ** (b - a)})::int + 1]" for a, b in _GROUPS)
    return f"substr('{CHECK_CHARS}', (({' + '.join(groups)}) %% 11) + 1, 1)"


def _real_date_sql(y: str, m: str, d: str) -> str:
    """True when y-m-d (integer SQL expressions) is a real date (integer arithmetic only)."""
    leap = f"(({y}) %% 4 = 0 AND (({y}) %% 100 <> 0 OR ({y}) %% 400 = 0))"
    days = f"CASE WHEN {m} IN (4, 6, 9, 11) THEN 30 WHEN {m} = 2 THEN CASE WHEN {leap} THEN 29 ELSE 28 END ELSE 31 END"
    return f"({y} >= 1 AND {m} BETWEEN 1 AND 12 AND {d} BETWEEN 1 AND {days})"


# ``parse_resident_id`` in SQL: spaces removed, upper case, 15 → 18 digits, area, birth date, check digit.
_DIGITS = "'0123456789'"
_BODY = (
    f"CASE WHEN length(n0) = 15 AND left(n0, 1) <> '0' AND ltrim(n0, {_DIGITS}) = '' "
    "THEN substr(n0, 1, 6) || '19' || substr(n0, 7) "
    f"WHEN length(n0) = 18 AND left(n0, 1) <> '0' AND ltrim(left(n0, 17), {_DIGITS}) = '' "
    f"AND strpos('0123456789X', right(n0, 1)) > 0 THEN left(n0, 17) END"
)
#: The body as a number (``bv``) and its birth year, month and day (``by``, ``bm``, ``bd``,
#: digits 7–14), computed once per body (columns of the ``bodies`` step, not repeated expressions).
_BODY_PARTS = "bv, (bv / 10000000 %% 10000)::int AS by, (bv / 100000 %% 100)::int AS bm, (bv / 1000 %% 100)::int AS bd"
_BIRTH_OK = _real_date_sql("by", "bm", "bd")
_NUMBER = f"""
CASE WHEN body IS NULL THEN NULL
     WHEN NOT ({_BIRTH_OK}) THEN NULL
     WHEN length(n0) = 15 THEN body || {_check_digit_sql("bv")}
     WHEN by < 1890 OR bv / 1000 %% 100000000 > %(today_number)s THEN NULL
     WHEN {_check_digit_sql("bv")} = substr(n0, 18, 1) THEN n0
END"""
_DATE = (
    "CASE WHEN dr ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN CASE WHEN "
    + _real_date_sql("substr(dr, 1, 4)::int", "substr(dr, 6, 2)::int", "substr(dr, 9, 2)::int")
    + " THEN dr::date END END"
)


def _check_sql() -> str:
    ws = "%(ws)s"
    number = "COALESCE(m.new_number, k.num)"
    # Only this module's constants are formatted in; every value is a parameter.
    return f"""
WITH ids AS MATERIALIZED (
    -- each distinct (number, name) as written is trimmed, checked and matched once; the rows then
    -- join it on the raw values (only the record id and detail are trimmed row by row)
    SELECT ir, nr, btrim(ir, {ws}) AS idr, btrim(nr, {ws}) AS nm
    FROM (SELECT DISTINCT COALESCE(id_number, '') AS ir, COALESCE(name, '') AS nr FROM silent_raw WHERE NOT bad) x
),
bodies AS MATERIALIZED (  -- an empty number or name gives no body (then no number, no index)
    -- (OFFSET 0: each step's columns are computed once, not substituted as expressions above)
    SELECT ir, nr, idr, nm, n0, body, {_BODY_PARTS}
    FROM (
        SELECT ir, nr, idr, nm, n0, body, body::bigint AS bv
        FROM (SELECT ir, nr, idr, nm, n0, {_BODY} AS body
              FROM (SELECT ir, nr, idr, nm, upper(replace(idr, ' ', '')) AS n0 FROM ids OFFSET 0) x OFFSET 0) y
        OFFSET 0
    ) z
),
numbers AS MATERIALIZED (
    SELECT ir, nr, idr, nm, CASE WHEN nm <> '' THEN {_NUMBER} END AS num,
           -- names of CJK ideographs only (nearly all) are already normalised: skip NFKC
           CASE WHEN nm ~ '^[\u4e00-\u9fff]+$' THEN nm ELSE {NAME_SQL.format(col="nm")} END AS nn
    FROM bodies
),
names AS MATERIALIZED (  -- the name's blind index once per distinct normalised name
    SELECT nn, {name_index_sql("nn")} AS name_bidx FROM (SELECT DISTINCT nn FROM numbers) x
),
keyed AS MATERIALIZED (  -- the number's blind index once per distinct (number, name): then a plain equi-join
    SELECT k.ir, k.nr, k.idr, k.nm, k.num IS NOT NULL AS valid,
           {id_number_index_sql(number)} AS id_bidx, n.name_bidx
    FROM numbers k
    LEFT JOIN silent_idnumbermapping m ON m.old_number = k.num
    LEFT JOIN names n ON n.nn = k.nn
),
people AS (
    SELECT k.ir, k.nr, k.idr, k.nm, k.valid, p.id AS pensioner_id,
           p.id IS NOT NULL AND p.name_bidx = k.name_bidx AS name_ok
    FROM keyed k
    LEFT JOIN accounts_pensioner p ON p.id_number_bidx = k.id_bidx
),
dates AS (
    SELECT dw, dr, {_DATE} AS ed
    FROM (SELECT dw, btrim(dw, {ws}) AS dr FROM (SELECT DISTINCT COALESCE(event_date, '') AS dw FROM silent_raw) d) t
    OFFSET 0
),
checked AS (
    SELECT s.line, s.rid, s.dt, d.ed, k.pensioner_id,
           CASE WHEN s.bad THEN 'bad_row'
                WHEN s.rid = '' OR k.idr = '' OR k.nm = '' OR d.dr = '' THEN 'missing_field'
                WHEN length(s.rid) > {MAX_RECORD_ID} THEN 'bad_record_id'
                WHEN NOT k.valid THEN 'bad_id_number'
                WHEN d.ed IS NULL THEN 'bad_date'
                WHEN d.ed > %(today)s::date THEN 'future_date'
                WHEN k.pensioner_id IS NULL THEN 'unknown_person'
                WHEN NOT k.name_ok THEN 'name_mismatch'
           END AS reason
    FROM (
        SELECT line, bad, COALESCE(id_number, '') AS ir, COALESCE(name, '') AS nr,
               COALESCE(event_date, '') AS dw, btrim(COALESCE(record_id, ''), {ws}) AS rid,
               left(btrim(COALESCE(detail, ''), {ws}), {MAX_DETAIL}) AS dt
        FROM silent_raw OFFSET 0  -- each row's trims computed once
    ) s
    LEFT JOIN people k ON k.ir = s.ir AND k.nr = s.nr
    LEFT JOIN dates d ON d.dw = s.dw
)
INSERT INTO silent_checked (line, rid, dt, ed, pensioner_id, reason)
SELECT line, rid, dt, ed, pensioner_id, reason FROM checked
"""  # noqa: S608


#: The accepted rows of ``silent_checked`` into the events: a record id repeated in the file keeps
#: its first accepted occurrence; the records already loaded are left out first, so the insert is
#: a plain one (loads of one source are serialised by an advisory lock), in record-id order (the
#: unique index's order).
_INSERT = """
INSERT INTO silent_evidenceevent (source_id, record_id, pensioner_id, event_date, detail, received_at, batch_id)
SELECT %(source)s, f.rid, f.pensioner_id, f.ed, f.dt, %(now)s, %(batch)s
FROM (
    SELECT DISTINCT ON (rid) rid, pensioner_id, ed, dt
    FROM (SELECT line, rid COLLATE "default" AS rid, pensioner_id, ed, dt FROM silent_checked WHERE reason IS NULL) a
    ORDER BY rid, line
) f
WHERE NOT EXISTS (SELECT FROM silent_evidenceevent e WHERE e.source_id = %(source)s AND e.record_id = f.rid)
ORDER BY f.rid
"""


class _NotPlain(Exception):
    """The file is not a plain CSV that ``COPY`` reads exactly as Python's reader does."""


def _copy_plain_csv(raw: Any, path: Path, progress: Progress | None) -> int:
    """Stream the file's bytes through ``COPY (FORMAT csv)``; the number of rows, or ``_NotPlain``."""
    with path.open("rb") as handle:
        first = handle.readline()
    header = [name.strip().lower().lstrip("\ufeff") for name in next(csv.reader([first.decode("utf-8-sig")]))]
    columns = ", ".join(header)  # detect_format allowed only FIELDS and OPTIONAL
    newlines, last, seen = 0, b"", 0
    with (
        path.open("rb") as handle,
        raw.copy(f"COPY silent_raw ({columns}) FROM STDIN (FORMAT csv, HEADER true)") as copy,
    ):
        while chunk := handle.read(1 << 20):
            if b'"' in chunk:
                raise _NotPlain
            newlines += chunk.count(b"\n")
            last = chunk[-1:]
            copy.write(chunk)
            if progress is not None and newlines - seen >= 1_000_000:
                seen = newlines
                progress(newlines)
    records = newlines - 1 + (1 if last not in (b"\n", b"") else 0)
    copied = raw.rowcount
    if copied != records:  # a blank line, an end-of-data marker, a bare CR: read it the careful way
        raise _NotPlain
    return copied


def _raw_row(line: int, values: dict[str, object] | None) -> tuple[Any, ...]:
    if values is None:
        return (line, True, "", "", "", "", "")
    fields: list[str] = []
    bad = False
    for key in ("record_id", "id_number", "name", "event_date", "detail"):
        value = values.get(key)
        if type(value) is str:
            if "\x00" in value:
                bad, value = True, ""
            fields.append(value)
        elif value is None:
            fields.append("")
        elif isinstance(value, bool | dict | list):
            bad = True
            fields.append("")
        else:
            fields.append(str(value))
    return (line, bad, *fields)


def _copy_rows(raw: Any, rows: Iterable[tuple[int, dict[str, object] | None]], progress: Progress | None) -> int:
    count = 0
    with raw.copy("COPY silent_raw (line, bad, record_id, id_number, name, event_date, detail) FROM STDIN") as copy:
        for line, values in rows:
            copy.write_row(_raw_row(line, values))
            count += 1
            if progress is not None and count % 1_000_000 == 0:
                progress(count)
    return count


def _load_pg(
    *,
    source: DataSource,
    batch: IngestBatch,
    fill: Callable[[Any], int],
    today: datetime.date,
    sink: IO[str] | None,
    progress: Progress | None,
) -> Counts:
    counts = Counts()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor, for COPY
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL jit = off")  # compiling the checks' expressions costs more than it saves
        _temp_buffers(cursor)
        # One load per source at a time: the insert leaves out the records already there, then
        # inserts without ON CONFLICT (cheaper per row); a concurrent load of the same source waits.
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, source.pk])
        # ON COMMIT DROP does not fire inside an outer transaction (an API request, a test): drop first.
        cursor.execute("DROP TABLE IF EXISTS silent_raw, silent_checked")
        cursor.execute(_RAW)
        cursor.execute(_CHECKED)
        counts.rows = fill(raw)
        cursor.execute("ANALYZE silent_raw")
        params = {"source": source.pk, "now": timezone.now(), "batch": batch.pk, "today": today, "ws": PY_WHITESPACE}
        params["today_number"] = int(today.strftime("%Y%m%d"))
        params.update(match_params())
        # The rows join their distinct (number, name) by hash: a merge join sorts both sides (the
        # planner's pick on its estimates; ≈ 20 % slower, measured on 500,000 rows).
        cursor.execute("SET LOCAL enable_mergejoin = off")
        cursor.execute(_CHECK, params)
        cursor.execute("SET LOCAL enable_mergejoin = on")  # the anti-join below merges in record-id order
        cursor.execute("ANALYZE silent_checked")
        cursor.execute(_INSERT, params)
        counts.accepted = cursor.rowcount
        with raw.copy(
            f"COPY (SELECT line, reason, left(rid, {MAX_RECORD_ID}) FROM silent_checked "  # noqa: S608
            "WHERE reason IS NOT NULL ORDER BY line) TO STDOUT"
        ) as copy:
            copy.set_types(["int8", "text", "text"])
            for line, reason, record_id in copy.rows():
                counts.reject(line, reason, record_id, sink)
        counts.duplicates = counts.rows - counts.accepted - counts.rejected
        cursor.execute("DROP TABLE silent_raw, silent_checked")
    if progress is not None:
        progress(counts.rows)
    return counts


#: First key of the per-source advisory lock (``pg_advisory_xact_lock(class, source id)``).
_LOCK_CLASS = 0x51E7


def _temp_buffers(cursor: Any) -> None:
    """Keep the staging table in memory (the default 8 MB of ``temp_buffers`` spills a large file's
    staging rows to disk). PostgreSQL allows it only before the session's first temporary table:
    later in a session (a test, a second batch on one connection) the current size stays."""
    try:
        with transaction.atomic():
            cursor.execute("SELECT set_config('temp_buffers', %s, false)", [settings.SILENT_INGEST_TEMP_BUFFERS])
    except DatabaseError:
        logger.debug("temp_buffers already fixed for this session")


def _fill_file(path: Path, fmt: str, progress: Progress | None) -> Callable[[Any], int]:
    def fill(raw: Any) -> int:
        if fmt == "csv":
            import psycopg  # only here: this path runs on PostgreSQL

            try:
                with transaction.atomic():
                    return _copy_plain_csv(raw, path, progress)
            except (_NotPlain, DatabaseError, psycopg.Error):
                logger.info("evidence file %s: not plain CSV for COPY, reading it row by row", path)
        with open_text(path) as stream:
            return _copy_rows(raw, iter_rows(stream, fmt), progress)

    return fill


_CHECK = _check_sql()


def write_rejects_csv(rejects: list[dict[str, Any]], handle: IO[str]) -> None:
    writer = csv.writer(handle)
    writer.writerow(["line", "reason", "record_id"])
    for item in rejects:
        writer.writerow([item["line"], item["reason"], item["record_id"]])
