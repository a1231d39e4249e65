"""Reminder planner and SMS outbox at scale: 1,000,000 pensioners spread over due dates.

    .venv/bin/python bench/reminders/run.py --db postgres     # database pension_bench_reminders, dropped after
    .venv/bin/python bench/reminders/run.py --db sqlite       # /tmp/pension_bench_reminders.sqlite3, deleted after
    options: --pensioners 1000000  --send 50000  --keep (do not drop/delete)

Each step runs in its own process (``run.py step <name>``) so its peak RSS is its own. For every
step: wall time, rows created, peak RSS of the process and RSS growth during the step.

Population (deterministic, seed 7), "today" = 2026-11-23, the daily run at 07:30 Asia/Shanghai:
- next_due: 96 % uniform over the next 365 days, 4 % uniform over the last 60 days (overdue);
- status: 97 % active; 1 % suspended for overdue (suspended within the last 60 days), 0.5 %
  suspended after a death report, 1 % terminated (half of them deceased);
- 92 % have a phone; of the 8 % without, half have one or two approved relatives with phones;
- 3,000 villages (one county), each with one village assistant with a phone.

Steps, in the order of the daily job: ``suspend`` (past the 30-day grace, through the service,
one pensioner at a time), ``plan`` (reminders 30/7/1, overdue notices, suspension notices,
certification backstop), then both again the same day (must create 0), then the next day's plan
(the steady-state daily increment), then ``drain``: sending ``--send`` rows through the
in-memory backend at an unlimited rate, first by one process, then by ``--drain-workers``
processes at once (as a cluster with several workers would), followed by a check that no row
was claimed twice.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG_BASE = "postgres://postgres@127.0.0.1:5432"
PG_NAME = "pension_bench_reminders"
SQLITE_PATH = Path("/tmp/pension_bench_reminders.sqlite3")  # noqa: S108 - a throwaway bench file, never in the repo
TODAY = datetime.date(2026, 11, 23)
VILLAGES = 3000


def database_url(db: str) -> str:
    return f"{PG_BASE}/{PG_NAME}" if db == "postgres" else f"sqlite:///{SQLITE_PATH}"


def environment(db: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url(db),
        "DEBUG": "False",  # DEBUG keeps every query in memory: it would ruin the memory figure
        "SECRET_KEY": "bench-secret-not-for-production",
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA",  # bench only, not for production
        "FIELD_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA",
        "SMS_BACKEND": "memory",
        "Q_SYNC": "True",
        "SMS_QUIET_HOURS_START": "",  # the drain step runs at whatever time the bench is started
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }


def rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- database lifecycle (orchestrator side) ----------------------------------------------------


def create_database(db: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
            conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


def drop_database(db: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
    else:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{SQLITE_PATH}{suffix}").unlink(missing_ok=True)


# --- steps (each in its own process) -----------------------------------------------------------


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "秀英桂兰玉珍凤兰建国建华志强明德福贵淑珍德胜文华国庆春梅金花永红宝山"


def step_seed(count: int) -> dict[str, object]:
    """Regions, assistants, pensioners and relatives, with COPY on PostgreSQL and executemany on SQLite."""
    from django.core.management import call_command
    from django.db import connection

    from accounts.raw_rows import (
        PENSIONER_PRIVATE_COLUMNS,
        USER_PHONE_COLUMNS,
        pensioner_private_values,
        user_phone_values,
    )

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    rng = random.Random(7)
    now = datetime.datetime(2026, 11, 23, 0, 0, tzinfo=datetime.UTC)
    started = time.perf_counter()

    townships = -(-VILLAGES // 999)  # village codes 001..999 under each township
    regions = [
        (1, "360000000000", "省", 1, None),
        (2, "360100000000", "市", 2, 1),
        (3, "360102000000", "区", 3, 2),
        *[(4 + t, f"360102{t + 1:03d}000", f"街道{t + 1}", 4, 3) for t in range(townships)],
    ]
    village_ids = [100 + n for n in range(VILLAGES)]
    regions += [
        (100 + n, f"360102{n // 999 + 1:03d}{n % 999 + 1:03d}", f"第{n}村", 5, 4 + n // 999) for n in range(VILLAGES)
    ]

    users, assignments = [], []
    user_id = 1
    for village_id in village_ids:
        users.append((user_id, f"+86137{user_id:08d}", f"+86137{user_id:08d}"))
        assignments.append((user_id, village_id, now))
        user_id += 1

    pensioners, links = [], []
    for pk in range(1, count + 1):
        if rng.random() < 0.04:
            due = TODAY - datetime.timedelta(days=rng.randint(1, 60))
        else:
            due = TODAY + datetime.timedelta(days=rng.randint(0, 364))
        roll = rng.random()
        status, reason, deceased, since = "active", "", None, datetime.date(2015, 1, 1)
        if roll < 0.01:
            status, reason = "suspended", "overdue"
            since = TODAY - datetime.timedelta(days=rng.randint(0, 60))
            due = since - datetime.timedelta(days=30)
        elif roll < 0.015:
            status, reason, since = "suspended", "death_report", TODAY - datetime.timedelta(days=rng.randint(0, 60))
        elif roll < 0.025:
            status, since = "terminated", TODAY - datetime.timedelta(days=rng.randint(0, 365))
            deceased = since if roll < 0.02 else None
        has_phone = rng.random() >= 0.08
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        pensioners.append(
            (
                pk,
                *pensioner_private_values(
                    id_number=f"3601021950{pk:07d}X", name=name, phone=f"+86138{pk:08d}" if has_phone else None
                ),
                datetime.date(1950, 1, 1),
                "F",
                rng.choice(village_ids),
                status,
                since,
                reason,
                deceased,
                due,
                now,
            )
        )
        if not has_phone and rng.random() < 0.5:
            for _ in range(rng.choice((1, 2))):
                users.append((user_id, f"+86139{user_id:08d}", f"+86139{user_id:08d}"))
                links.append((user_id, pk, "child", "approved", "staff", now, now))
                user_id += 1

    # Encrypted and blind-indexed as the ORM would store them (accounts.raw_rows).
    pensioner_columns = (
        f"id, {PENSIONER_PRIVATE_COLUMNS}, birth_date, sex, region_id, benefit_status, status_since, "
        "suspension_reason, deceased_on, next_due, created_at"
    )
    tables = [
        (
            "accounts_region",
            "id, code, name, level, parent_id, service_address, service_phone",
            [(*r, "", "") for r in sorted(regions, key=lambda r: r[3])],
        ),
        (
            "accounts_user",
            f"id, username, {USER_PHONE_COLUMNS}, password, is_superuser, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            [
                (u, f"app-{u}", *user_phone_values(phone), "!", False, "", "", "", False, True, now)
                for u, _name, phone in users
            ],
        ),
        ("accounts_villageassignment", "user_id, village_id, assigned_at", assignments),
        ("accounts_pensioner", pensioner_columns, pensioners),
        (
            "accounts_relativelink",
            "relative_id, pensioner_id, relationship, status, approved_via, requested_at, decided_at",
            links,
        ),
    ]
    with connection.cursor() as cursor:
        for table, columns, rows in tables:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns.split(",")))
                for start in range(0, len(rows), 50_000):
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - constant table names
                        rows[start : start + 50_000],
                    )
        if connection.vendor == "postgresql":
            for table in ("accounts_region", "accounts_user", "accounts_pensioner"):
                sql = f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
                cursor.execute(sql)
    from decimal import Decimal

    from selfservice.benefits import benefits_backfill

    benefits_backfill(kind="enterprise", monthly_amount=Decimal("3200.00"), start_date=datetime.date(2015, 1, 1))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "migrate_s": round(migrate_s, 1),
        "seed_s": round(time.perf_counter() - started, 1),
        "pensioners": len(pensioners),
        "relative_links": len(links),
        "users": len(users),
    }


def daily_moment(day: datetime.date) -> datetime.datetime:
    import zoneinfo

    return datetime.datetime.combine(day, datetime.time(7, 30), tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


def step_suspend(day: datetime.date) -> dict[str, object]:
    from selfservice.reminders import overdue_suspend

    started = time.perf_counter()
    count = overdue_suspend(today=day)
    return {"wall_s": round(time.perf_counter() - started, 2), "suspended": count}


def step_plan(day: datetime.date) -> dict[str, object]:
    from selfservice.reminders import reminders_plan

    started = time.perf_counter()
    result = reminders_plan(today=day, now=daily_moment(day))
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "rows_created": result.total_created,
        "created": dict(result.created),
        "candidates": dict(result.candidates),
    }


def step_check() -> dict[str, object]:
    """After parallel drains: every row sent at most once (one claim each), nothing left sending."""
    from django.db.models import Count

    from notifications.models import SmsOutbox

    statuses = dict(SmsOutbox.objects.values_list("status").annotate(n=Count("id")).order_by())
    return {
        "statuses": statuses,
        "sent_rows_claimed_more_than_once": SmsOutbox.objects.filter(status="sent", attempts__gt=1).count(),
    }


def step_drain(limit: int) -> dict[str, object]:
    from django.utils import timezone

    from notifications.models import SmsOutbox
    from notifications.services import sms_outbox_drain
    from notifications.sms import MemoryBackend

    now = timezone.now()
    SmsOutbox.objects.filter(status="pending", send_after__gt=now).update(
        send_after=now - datetime.timedelta(seconds=1)
    )
    pending = SmsOutbox.objects.filter(status="pending").count()
    started = time.perf_counter()
    result = sms_outbox_drain(limit=limit, rate=0, budget_seconds=3600, backend=MemoryBackend())
    wall = time.perf_counter() - started
    sent = result.sent
    return {
        "pending_before": pending,
        "handled": result.handled,
        "outcomes": dict(result.outcomes),
        "wall_s": round(wall, 2),
        "per_second": round(result.handled / wall, 1) if wall else None,
        "sent_to_backend": len(MemoryBackend.outbox),
        "duplicates_in_backend": len(MemoryBackend.outbox) - len({m.reason for m in MemoryBackend.outbox}),
        "sent": sent,
    }


def run_step(args: argparse.Namespace) -> None:
    setup_django()
    from django.db import connection

    connection.ensure_connection()
    baseline = rss_mib()
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    day = datetime.date.fromisoformat(args.day) if args.day else TODAY
    if args.name == "seed":
        figures = step_seed(args.pensioners)
    elif args.name == "suspend":
        figures = step_suspend(day)
    elif args.name == "plan":
        figures = step_plan(day)
    elif args.name == "check":
        figures = step_check()
    else:
        figures = step_drain(args.send)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures |= {
        "cpu_s": round(usage.ru_utime + usage.ru_stime - cpu_before, 2),  # this process only, not the database
        "peak_rss_mib": round(peak_mib()),
        "rss_growth_mib": round(peak_mib() - baseline),
    }
    print(json.dumps(figures, ensure_ascii=False))


# --- orchestrator ------------------------------------------------------------------------------


def spawn(db: str, name: str, *extra: str) -> dict[str, object]:
    command = [sys.executable, __file__, "step", name, *extra]
    output = subprocess.run(command, env=environment(db), check=False, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"step {name} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def parallel_drain(db: str, workers: int, total: int) -> None:
    """``workers`` drain processes at once over the same outbox, like a cluster with several workers."""
    command = [sys.executable, __file__, "step", "drain", "--send", str(total // workers)]
    started = time.perf_counter()
    processes = [
        subprocess.Popen(command, env=environment(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(workers)
    ]
    results = []
    for process in processes:
        stdout, stderr = process.communicate()
        if process.returncode:
            sys.exit(f"parallel drain failed:\n{stderr[-3000:]}")
        results.append(json.loads(stdout.strip().splitlines()[-1]))
    wall = time.perf_counter() - started
    handled = sum(result["handled"] for result in results)
    print(
        f"drain with {workers} processes at once: handled {handled:,} in {wall:.1f} s = {handled / wall:.0f}/s "
        f"(including process start-up); per process: {[result['per_second'] for result in results]}/s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    step = sub.add_parser("step")
    step.add_argument("name", choices=["seed", "suspend", "plan", "drain", "check"])
    step.add_argument("--pensioners", type=int, default=1_000_000)
    step.add_argument("--day", default="")
    step.add_argument("--send", type=int, default=50_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--send", type=int, default=50_000)
    parser.add_argument("--drain-workers", type=int, default=4, help="then drain again with this many processes")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if args.command == "step":
        run_step(args)
        return

    print(
        f"database: {args.db}; pensioners: {args.pensioners:,}; cpu count: {os.cpu_count()}; "
        f"load average: {os.getloadavg()[0]:.2f}"
    )
    create_database(args.db)
    try:
        next_day = (TODAY + datetime.timedelta(days=1)).isoformat()
        steps = [
            ("seed", "seed", ["--pensioners", str(args.pensioners)]),
            ("suspend (first run)", "suspend", []),
            ("plan (first run)", "plan", []),
            ("suspend (again, same day)", "suspend", []),
            ("plan (again, same day)", "plan", []),
            ("suspend (next day)", "suspend", ["--day", next_day]),
            ("plan (next day)", "plan", ["--day", next_day]),
            (f"drain {args.send:,} rows", "drain", ["--send", str(args.send)]),
        ]
        for label, name, extra in steps:
            figures = spawn(args.db, name, *extra)
            print(f"{label}: {json.dumps(figures, ensure_ascii=False)}", flush=True)
        if args.drain_workers > 1:
            parallel_drain(args.db, args.drain_workers, args.send)
            print(f"check: {json.dumps(spawn(args.db, 'check'), ensure_ascii=False)}", flush=True)
    finally:
        if not args.keep:
            drop_database(args.db)


if __name__ == "__main__":
    main()
