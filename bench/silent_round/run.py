"""One comparison round over a large registry: wall time, peak RSS, and that a second round adds nothing.

    .venv/bin/python bench/silent_round/run.py [--pensioners 1000000] [--events 3000000]
        [--server postgres://postgres@127.0.0.1:5435] [--reuse] [--keep] [--verify]

The round works per pensioner, so the events are written straight into ``silent_evidenceevent``
with ``COPY`` (one ``IngestBatch`` per source), not through ``evidence_ingest`` (measured by
``bench/silent_ingest``): the same synthetic people (``bench/silent_ingest/run.py``: encrypted ID
numbers and names with their blind indexes, as ``accounts/raw_rows.py`` writes them), the same
share of events per source, event dates over the last year, a few cremations. The seeded database
is kept as ``pension_round_seed``; ``--reuse`` copies it (``CREATE DATABASE … TEMPLATE``) instead
of seeding again. Then ``manage.py silent_round`` twice as subprocesses (wall time, peak RSS,
the round's own per-step log), the rows each added, and ``manage.py audit_verify`` with
``--verify``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _ingest_bench() -> Any:
    """The ingestion benchmark's synthetic people and shares (one definition for both benches)."""
    spec = importlib.util.spec_from_file_location("silent_ingest_bench", ROOT / "bench" / "silent_ingest" / "run.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_INGEST = _ingest_bench()
BASE_BIRTH, BIRTH_SPAN, SHARES, people = _INGEST.BASE_BIRTH, _INGEST.BIRTH_SPAN, _INGEST.SHARES, _INGEST.people

SEED = "pension_round_seed"
DB = "pension_round_bench"


def env(server: str, db: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": f"{server}/{db}",
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "SMS_BACKEND": "memory",
    }


CPU: dict[str, float] = {}


def _first(row: tuple[Any, ...] | None) -> Any:
    assert row is not None
    return row[0]


def manage(server: str, db: str, *args: str) -> tuple[float, int, str, str]:
    """Run ``manage.py``; (wall seconds, peak RSS of that process in MiB, stdout, stderr). Its CPU
    seconds (user + system) go to ``CPU["last"]``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env(server, db), stdout=out, stderr=err
        )
        backends: dict[int, float] = {}
        with psycopg.connect(f"{server}/postgres", autocommit=True) as monitor:
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                for (backend,) in monitor.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [db]
                ).fetchall():
                    backends[backend] = max(backends.get(backend, 0.0), _INGEST.process_cpu(backend))
                time.sleep(0.2)
        wall = time.perf_counter() - start
        CPU["last"] = usage.ru_utime + usage.ru_stime
        CPU["server"] = sum(backends.values())
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        if os.waitstatus_to_exitcode(status):
            sys.stderr.write(stderr)
            raise SystemExit(f"manage.py {' '.join(args)} failed")
        return wall, usage.ru_maxrss // 1024, stdout, stderr


def seed(server: str, pensioners: int, events: int, today: datetime.date) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SEED}"')
        conn.execute(f'CREATE DATABASE "{SEED}"')
    wall, _rss, _out, _err = manage(server, SEED, "migrate", "-v0")
    print(f"migrate: {wall:.1f} s", flush=True)
    os.environ.update(env(server, SEED))
    import django

    django.setup()
    start = time.perf_counter()
    url = f"{server}/{SEED}"
    now = datetime.datetime.now(datetime.UTC)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        _INGEST.registry_rows(cur, pensioners, today)
        print(f"registry: {pensioners:,} pensioners in {time.perf_counter() - start:.1f} s", flush=True)
        start = time.perf_counter()
        rng = random.Random(7)
        cur.execute("SELECT key, id FROM silent_datasource")
        source_ids: dict[str, int] = dict(cur.fetchall())
        for key, share in SHARES:
            rows = max(1, int(events * share))
            cur.execute(
                "INSERT INTO silent_ingestbatch (source_id, channel, client_batch_id, body_sha256, file_name, rows, "
                "accepted, duplicates, rejected, rejects, started_at, finished_at) "
                "VALUES (%s, 'file', '', '', %s, %s, %s, 0, 0, '[]', %s, %s) RETURNING id",
                (source_ids[key], f"{key}.csv", rows, rows, now, now),
            )
            batch = _first(cur.fetchone())
            with cur.copy(
                "COPY silent_evidenceevent (source_id, record_id, pensioner_id, event_date, detail, received_at, "
                "batch_id) FROM STDIN"
            ) as copy:
                for i in range(rows):
                    day = today - datetime.timedelta(days=rng.randrange(365))
                    copy.write_row(
                        (source_ids[key], f"{key[:3]}{i}", rng.randrange(pensioners) + 1, day, "", now, batch)
                    )
        conn.commit()
        print(f"events: {events:,} in {time.perf_counter() - start:.1f} s", flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def fresh_copy(server: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        start = time.perf_counter()
        conn.execute(f'CREATE DATABASE "{DB}" TEMPLATE "{SEED}"')
    print(f"copied {SEED} to {DB} in {time.perf_counter() - start:.1f} s", flush=True)
    with psycopg.connect(f"{server}/{DB}", autocommit=True) as conn:
        conn.execute("ANALYZE")


TABLES = [
    "silent_evidenceevent",
    "silent_decision",
    "silent_survivalgrade",
    "selfservice_certification",
    "accounts_auditevent",
    "casework_case",
    "notifications_smsoutbox",
]


def table_counts(server: str) -> dict[str, int]:
    with psycopg.connect(f"{server}/{DB}") as conn:
        return {t: _first(conn.execute(f"SELECT count(*) FROM {t}").fetchone()) for t in TABLES}  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=3_000_000)
    parser.add_argument("--server", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5435"))
    parser.add_argument("--reuse", action="store_true", help=f"copy the existing {SEED} instead of seeding")
    parser.add_argument("--keep", action="store_true", help=f"keep {DB} and {SEED}")
    parser.add_argument("--verify", action="store_true", help="run manage.py audit_verify after the rounds")
    parser.add_argument("--once", action="store_true", help="one round only")
    args = parser.parse_args()
    today = datetime.date.today()  # noqa: DTZ011 - the bench's calendar day
    if not args.reuse:
        seed(args.server, args.pensioners, args.events, today)
    fresh_copy(args.server)
    before = table_counts(args.server)
    print("rows before:", before, flush=True)
    rounds = 1 if args.once else 2
    previous = before
    for number in range(1, rounds + 1):
        wall, rss, out, err = manage(args.server, DB, "silent_round")
        print(
            f"silent_round {number}: {wall:.1f} s (CPU: Python {CPU['last']:.1f} s, PostgreSQL backend "
            f"{CPU['server']:.1f} s; load average "
            f"{os.getloadavg()[0]:.1f}), peak RSS {rss} MiB; {' '.join(out.split())}",
            flush=True,
        )
        for line in err.splitlines():
            if "silent round step" in line:
                print("   ", line.split("silent round step", 1)[1].strip(), flush=True)
        counts = table_counts(args.server)
        print(f"rows added by round {number}:", {t: counts[t] - previous[t] for t in counts}, flush=True)
        previous = counts
    if args.verify:
        wall, _rss, out, _err = manage(args.server, DB, "audit_verify")
        print(f"audit_verify: {wall:.1f} s; {out.strip()}", flush=True)
    if not args.keep:
        with psycopg.connect(f"{args.server}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
            conn.execute(f'DROP DATABASE IF EXISTS "{SEED}"')
        print(f"dropped {DB} and {SEED}")


if __name__ == "__main__":
    main()
