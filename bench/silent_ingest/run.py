"""Silent certification at scale: ingestion rows/s against a raw COPY, and one comparison round.

    .venv/bin/python bench/silent_ingest/run.py [--pensioners 1000000] [--events 10000000]
        [--keep] [--reuse] [--indexed-copy] [--ingest-only]

Creates the PostgreSQL database ``pension_silent_bench`` (dropped at the end unless --keep), a
synthetic registry (one village, one benefit each, due dates spread over the next 12 months) and
one CSV file per source in ``bench/out/silent/`` with the events shared out like Jiangxi's
matches (vaccination the most), 0.2 % of rows bad. For each file, in the same run: a raw
``COPY`` of the file into an unindexed table of text columns (the physical limit here), then
``manage.py evidence_ingest`` as a subprocess (wall time, peak RSS). Then ``manage.py
silent_round`` twice (the second must change nothing) and one re-ingest (must add nothing).

``--keep`` keeps the database, the files and the registry before any event (``pension_silent_seed``);
``--reuse`` starts from a copy of that seed and the kept files (same ``--pensioners`` and
``--events``) and leaves both in place (drop ``pension_silent_seed`` by hand when done).
``--indexed-copy`` also times, per file, a plain ``COPY`` of the file's rows with their pensioner
already resolved into ``bench_indexed``, a table with the events table's columns and indexes
that keeps every file's rows: what an indexed, idempotent table costs to load
with no checks at all.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from accounts.idnumbers import check_digit  # noqa: E402

DB = "pension_silent_bench"
SEED = "pension_silent_seed"  # the migrated registry before any event, kept for --reuse
SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
URL = f"{SERVER}/{DB}"
# The registry is encrypted (backend.fields): its COPY writes ciphertext and blind indexes, made by
# Django's own fields (accounts.raw_rows) with the keys the ingest subprocesses use.
os.environ["DATABASE_URL"] = URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
import django  # noqa: E402

django.setup()
from accounts.raw_rows import PENSIONER_PRIVATE_COLUMNS, pensioner_private_values  # noqa: E402

OUT = ROOT / "bench" / "out" / "silent"
# Share of events per source (Jiangxi's matches: vaccination 84 %, health code 9 %, medical 4 %,
# travel 3 %; weak traces added), plus a trickle of signals.
SHARES = [
    ("vaccination", 0.40),
    ("health_code_scan", 0.15),
    ("inpatient_settlement", 0.05),
    ("transit_ride", 0.15),
    ("bank_counter", 0.10),
    ("telecom_activity", 0.10),
    ("outpatient_visit", 0.0499),
    ("cremation", 0.0001),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "秀英桂兰玉华建国志强淑珍德明凤英春生桂芳金花永福秀珍国华美兰文华正英明辉"
BASE_BIRTH = datetime.date(1930, 1, 1)
BIRTH_SPAN = 12775  # days: births 1930–1964


def person(index: int) -> tuple[str, str]:
    birth = BASE_BIRTH + datetime.timedelta(days=index % BIRTH_SPAN)
    body = f"360102{birth:%Y%m%d}{index // BIRTH_SPAN:03d}"
    given = GIVEN[(index // 7) % len(GIVEN)] + GIVEN[(index // 11) % len(GIVEN)]
    return body + check_digit(body), SURNAMES[index % len(SURNAMES)] + given


_PEOPLE: list[tuple[str, str]] = []


def people(count: int) -> list[tuple[str, str]]:
    """Every synthetic person's (ID number, name), computed once."""
    if len(_PEOPLE) != count:
        _PEOPLE[:] = [person(index) for index in range(count)]
    return _PEOPLE


def env() -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": URL, "DJANGO_SETTINGS_MODULE": "backend.settings", "SMS_BACKEND": "memory"}


CPU: dict[str, float] = {}


def manage(*args: str) -> tuple[float, int, str]:
    """Run ``manage.py``; (wall seconds, peak RSS of that process in MiB, stdout). Its CPU seconds
    (user + system) go to ``CPU["last"]``."""
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "manage.py", *args], cwd=ROOT, env=env(), stdout=out, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        CPU["last"] = usage.ru_utime + usage.ru_stime
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            sys.stderr.write(err.read().decode())
            raise SystemExit(f"manage.py {' '.join(args)} failed")
        return wall, usage.ru_maxrss // 1024, out.read().decode()


def setup_database(*, template: str | None = None) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        conn.execute(f'CREATE DATABASE "{DB}"' + (f' TEMPLATE "{template}"' if template else ""))
    wall, _rss, _out = manage("migrate", "-v0")  # on a copied seed: only migrations added since
    print(f"migrate: {wall:.1f} s")
    if template:
        with psycopg.connect(URL, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def save_seed() -> None:
    """Keep the registry (no events yet) as a template for ``--reuse``."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SEED}"')
        conn.execute(f'CREATE DATABASE "{SEED}" TEMPLATE "{DB}"')
    print(f"seed kept as {SEED}")


def registry(count: int, today: datetime.date) -> None:
    start = time.perf_counter()
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        registry_rows(cur, count, today)
        conn.commit()
        cur.execute("ANALYZE")
    print(f"registry: {count:,} pensioners in {time.perf_counter() - start:.1f} s")


def registry_rows(cur: Any, count: int, today: datetime.date) -> None:
    """The synthetic region chain, ``count`` encrypted pensioners and one benefit each, by COPY
    (also the round benchmark's registry)."""
    ids = []
    parent = None
    for code, level in (("360000000000", 1), ("360100000000", 2), ("360102000000", 3), ("360102001000", 4)):
        cur.execute(
            "INSERT INTO accounts_region (code, name, level, parent_id, service_address, service_phone) "
            "VALUES (%s, %s, %s, %s, '', '') RETURNING id",
            (code, code, level, parent),
        )
        parent = cur.fetchone()[0]
        ids.append(parent)
    cur.execute(
        "INSERT INTO accounts_region (code, name, level, parent_id, service_address, service_phone) "
        "VALUES ('360102001001', '村', 5, %s, '', '') RETURNING id",
        (parent,),
    )
    village = cur.fetchone()[0]
    columns = (
        f"id, {PENSIONER_PRIVATE_COLUMNS}, birth_date, sex, region_id, benefit_status, status_since, "
        "suspension_reason, next_due, created_at"
    )
    with cur.copy(f"COPY accounts_pensioner ({columns}) FROM STDIN") as copy:
        now = datetime.datetime.now(datetime.UTC)
        for index, (number, name) in enumerate(people(count)):
            birth = BASE_BIRTH + datetime.timedelta(days=index % BIRTH_SPAN)
            due = today + datetime.timedelta(days=1 + index % 365)
            sex = "M" if int(number[16]) % 2 else "F"
            private = pensioner_private_values(id_number=number, name=name, phone=None)
            copy.write_row(
                (index + 1, *private, birth, sex, village, "active", datetime.date(2015, 1, 1), "", due, now)
            )
    with cur.copy(
        "COPY selfservice_benefit (pensioner_id, kind, status, status_since, status_reason, "
        "requires_certification, monthly_amount, start_date, created_at) FROM STDIN"
    ) as copy:
        for index in range(count):
            copy.write_row(
                (
                    index + 1,
                    "enterprise",
                    "active",
                    datetime.date(2015, 1, 1),
                    "",
                    True,
                    3000,
                    datetime.date(2015, 1, 1),
                    now,
                )
            )
    cur.execute("SELECT setval('accounts_pensioner_id_seq', %s)", (count,))


def event_files(
    pensioners: int, events: int, today: datetime.date, *, regenerate: bool = True
) -> list[tuple[str, Path, int]]:
    OUT.mkdir(parents=True, exist_ok=True)
    if not regenerate:  # --reuse: the files of the run that kept the seed (same counts)
        files = [(key, OUT / f"{key}.csv", max(1, int(events * share))) for key, share in SHARES]
        missing = [str(path) for _key, path, _rows in files if not path.exists()]
        if missing:
            raise SystemExit(f"--reuse: missing event files {missing}; run once with --keep")
        return files
    rng = random.Random(7)
    registry_people = people(pensioners)
    files = []
    start = time.perf_counter()
    for key, share in SHARES:
        rows = max(1, int(events * share))
        path = OUT / f"{key}.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["record_id", "id_number", "name", "event_date"])
            for i in range(rows):
                number, name = registry_people[rng.randrange(pensioners)]
                day = today - datetime.timedelta(days=rng.randrange(365))
                bad = rng.random()
                if bad < 0.001:
                    name = "某某"
                elif bad < 0.002:
                    number = number[:17] + ("0" if number[17] != "0" else "1")
                writer.writerow([f"{key[:3]}{i}", number, name, day.isoformat()])
        files.append((key, path, rows))
    print(f"event files: {events:,} rows in {time.perf_counter() - start:.1f} s ({OUT})")
    return files


def indexed_rows(path: Path, pensioners: int, source_id: int) -> Path:
    """The file's well-formed rows as the events table stores them (pensioner id resolved by the
    bench, which knows its people), for a plain COPY into a table with the events' indexes."""
    by_number = {number: index + 1 for index, (number, _name) in enumerate(people(pensioners))}
    target = path.with_name(path.name + ".indexed.txt")
    now = datetime.datetime.now(datetime.UTC).isoformat()
    with path.open(encoding="utf-8", newline="") as handle, target.open("w", encoding="utf-8") as out:
        reader = csv.reader(handle)
        next(reader)
        for record_id, number, _name, day in reader:
            pensioner = by_number.get(number)
            if pensioner is not None:
                out.write(f"{source_id}\t{record_id}\t{pensioner}\t{day}\t\t{now}\t0\n")
    return target


def indexed_copy(path: Path) -> float:
    """A plain COPY of already resolved rows into ``bench_indexed``, a table created LIKE the events
    table with all its indexes and kept across the files (so it holds as many rows as the events
    table when each file goes in): what loading costs with no check, match or de-duplication."""
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_indexed (LIKE silent_evidenceevent INCLUDING ALL)")
        conn.commit()
        start = time.perf_counter()
        columns = "source_id, record_id, pensioner_id, event_date, detail, received_at, batch_id"
        with cur.copy(f"COPY bench_indexed ({columns}) FROM STDIN") as copy, path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        return time.perf_counter() - start


def source_ids() -> dict[str, int]:
    with psycopg.connect(URL) as conn:
        return dict(conn.execute("SELECT key, id FROM silent_datasource").fetchall())


def raw_copy(path: Path) -> float:
    with psycopg.connect(URL) as conn, conn.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw_copy")
        cur.execute("CREATE TABLE bench_raw_copy (record_id text, id_number text, name text, event_date text)")
        conn.commit()
        start = time.perf_counter()
        with (
            cur.copy("COPY bench_raw_copy FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
            path.open("rb") as handle,
        ):
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        wall = time.perf_counter() - start
        cur.execute("DROP TABLE bench_raw_copy")
        conn.commit()
    return wall


def process_cpu(pid: int, *, children: bool = False) -> float:
    """User + system CPU seconds of a local process so far (with ``children``: plus its reaped children)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


def server_cpu(postmaster: int) -> float:
    """CPU seconds used so far by a local PostgreSQL server: the postmaster, its live processes and
    the backends it has reaped (0 when the server is not local, whose figures are then not shown)."""
    if not postmaster:
        return 0.0
    total = process_cpu(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if parent == postmaster:
                total += process_cpu(int(entry.name))
    return total


def postmaster_pid() -> int:
    """The parent of this connection's backend, read while the backend is alive (it exits on close)."""
    with psycopg.connect(URL) as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            return int(Path(f"/proc/{backend}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return 0


def server_settings() -> None:
    """The server's settings that matter here, printed with the figures (they must be reported)."""
    names = ("server_version", "shared_buffers", "work_mem", "maintenance_work_mem", "max_wal_size")
    names += ("checkpoint_timeout", "wal_compression", "fsync", "synchronous_commit", "full_page_writes")
    with psycopg.connect(f"{SERVER}/postgres") as conn:
        shown = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in names}
    print("server:", SERVER.rsplit("@", 1)[-1], ", ".join(f"{k}={v}" for k, v in shown.items()))
    print("load average at start:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


def table_counts() -> dict[str, int]:
    tables = [
        "silent_evidenceevent",
        "silent_decision",
        "silent_survivalgrade",
        "selfservice_certification",
        "casework_case",
        "notifications_smsoutbox",
    ]
    with psycopg.connect(URL) as conn:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    parser.add_argument("--ingest-only", action="store_true", help="stop after the ingestion figures")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help=f"copy the registry kept by an earlier run ({SEED}) and reuse its files instead of seeding",
    )
    parser.add_argument(
        "--indexed-copy",
        action="store_true",
        help="also time a plain COPY of the resolved rows into a table with the events' indexes",
    )
    args = parser.parse_args()
    today = datetime.date.today()  # noqa: DTZ011 - the bench's calendar day
    server_settings()
    if args.reuse:
        setup_database(template=SEED)
        files = event_files(args.pensioners, args.events, today, regenerate=False)
    else:
        setup_database()
        registry(args.pensioners, today)
        if args.keep:
            save_seed()
        files = event_files(args.pensioners, args.events, today)
    sources = source_ids()
    postmaster = postmaster_pid()
    total_rows = total_ingest = total_raw = total_indexed = total_cpu = total_server = 0.0
    peak = 0
    print(
        "| source | rows | raw COPY rows/s | indexed COPY rows/s | evidence_ingest rows/s | ratio | "
        "CPU s: Python / server | peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for key, path, rows in files:
        raw = raw_copy(path)
        indexed = 0.0
        if args.indexed_copy:
            resolved = indexed_rows(path, args.pensioners, sources[key])
            indexed = indexed_copy(resolved)
            resolved.unlink()
        before = server_cpu(postmaster)
        wall, rss, out = manage("evidence_ingest", "--source", key, str(path), "--quiet-progress")
        server = server_cpu(postmaster) - before
        total_cpu += CPU["last"]
        total_server += server
        peak = max(peak, rss)
        total_rows += rows
        total_ingest += wall
        total_raw += raw
        total_indexed += indexed
        accepted = dict(line.split(": ") for line in out.splitlines() if ": " in line)["accepted"]
        shown = f"{rows / indexed:,.0f} ({raw / indexed:.0%})" if indexed else "-"
        print(
            f"| {key} | {rows:,} (accepted {int(accepted):,}) | {rows / raw:,.0f} | {shown} | {rows / wall:,.0f} | "
            f"{raw / wall:.0%} | {CPU['last']:.1f} / {server:.1f} | {rss} MiB |"
        )
    shown = f"{total_rows / total_indexed:,.0f} ({total_raw / total_indexed:.0%})" if total_indexed else "-"
    print(
        f"| **all** | {int(total_rows):,} | {total_rows / total_raw:,.0f} | {shown} | "
        f"{total_rows / total_ingest:,.0f} | {total_raw / total_ingest:.0%} | {total_cpu:.1f} / {total_server:.1f} | "
        f"{peak} MiB |"
    )
    print("load average after ingestion:", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    before = table_counts()
    key, path, rows = files[0]
    wall3, rss3, out3 = manage("evidence_ingest", "--source", key, str(path), "--quiet-progress")
    after_reingest = table_counts()
    print(f"re-ingest {key}: {wall3:.1f} s ({rows / wall3:,.0f} rows/s), peak RSS {rss3} MiB; {' '.join(out3.split())}")
    print("rows added by the re-ingest:", {t: after_reingest[t] - before[t] for t in before})
    if not args.ingest_only:
        wall, rss, out = manage("silent_round")
        print(f"silent_round 1: {wall:.1f} s, peak RSS {rss} MiB; {' '.join(out.split())}")
        after_first = table_counts()
        wall2, rss2, out2 = manage("silent_round")
        after_second = table_counts()
        print(f"silent_round 2: {wall2:.1f} s, peak RSS {rss2} MiB; {' '.join(out2.split())}")
        print("rows after round 1:", after_first)
        print("rows added by round 2:", {t: after_second[t] - after_first[t] for t in after_first})
    if not args.keep:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}"')
        if args.reuse:  # the seed and the files stay for the next --reuse
            print(f"dropped {DB}")
            return
        for _key, path, _rows in files:
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".rejects.csv").unlink(missing_ok=True)
        print(f"dropped {DB} and the files")


if __name__ == "__main__":
    main()
