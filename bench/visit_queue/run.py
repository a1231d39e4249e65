"""The daily visit-queue build (casework.services.visits) over 1,000,000 pensioners on PostgreSQL.

    .venv/bin/python bench/visit_queue/run.py                      # database pension_safetynet_bench, dropped after
    options: --pensioners 1000000  --db-name NAME  --keep (do not drop)

Each step runs in its own process (``run.py step <name>``), so its peak RSS is its own.

Population (deterministic, seed 11), "today" = 2026-11-30:
- next_due: 95 % uniform over the next 365 days, 5 % uniform over the last 60 days (overdue);
- status: 1 % suspended for overdue (within the last 60 days; 80 % of them had the suspension SMS
  delivered, 20 % failed), 0.5 % held on a death report, 1 % terminated;
- 8 % have no phone; half of those have an approved relative with a phone;
- 0.3 % had 3 rejected selfies in the last 30 days (FaceAttempt rows);
- 3,000 villages (one county), each with a village assistant; every third also with a grid worker.

Steps: ``seed`` (COPY), ``build`` (first run: every trigger, then the inserts), ``build`` again the
same day (must create 0), ``chase`` (the next day's chase after moving every due date into the
past: one SMS per visitor), then EXPLAIN ANALYZE of the visitor's queue query (one grid worker).
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
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG_BASE = "postgres://postgres@127.0.0.1:5432"
TODAY = datetime.date(2026, 11, 30)
VILLAGES = 3000


def environment(db_name: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": f"{PG_BASE}/{db_name}",
        "DEBUG": "False",
        "SECRET_KEY": "bench-secret-not-for-production",
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA",  # bench only, not for production
        "FIELD_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA",
        "SMS_BACKEND": "memory",
        "Q_SYNC": "True",
        "CONN_MAX_AGE": "0",
        "LOG_LEVEL": "WARNING",
    }


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()


def _copy(cursor, table: str, columns: str, rows: list[tuple]) -> None:  # type: ignore[no-untyped-def]
    with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def step_seed(count: int) -> dict[str, object]:
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection

    from accounts.raw_rows import (
        PENSIONER_PRIVATE_COLUMNS,
        USER_PHONE_COLUMNS,
        pensioner_private_values,
        user_phone_values,
    )
    from backend.crypto import encrypt_text
    from backend.lookups import phone_index

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - started
    started = time.perf_counter()
    rng = random.Random(11)
    now = datetime.datetime(2026, 11, 30, 0, 0, tzinfo=datetime.UTC)
    groups = dict(Group.objects.values_list("name", "pk"))

    townships = -(-VILLAGES // 999)
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
    users, memberships, assignments = [], [], []
    user_id = 1
    for index, village_id in enumerate(village_ids):
        roles = ["village_assistant"] + (["grid_worker"] if index % 3 == 0 else [])
        for role in roles:
            users.append((user_id, f"+86137{user_id:08d}", f"+86137{user_id:08d}"))
            memberships.append((user_id, groups[role]))
            assignments.append((user_id, village_id, now))
            user_id += 1

    pensioners, links, attempts, outbox = [], [], [], []
    for pk in range(1, count + 1):
        due = (
            TODAY - datetime.timedelta(days=rng.randint(1, 60))
            if rng.random() < 0.05
            else TODAY + datetime.timedelta(days=rng.randint(0, 364))
        )
        roll = rng.random()
        status, reason, since, deceased = "active", "", datetime.date(2015, 1, 1), None
        if roll < 0.01:
            status, reason = "suspended", "overdue"
            since = TODAY - datetime.timedelta(days=rng.randint(0, 60))
            due = since - datetime.timedelta(days=30)
            delivered = rng.random() < 0.8
            outbox.append(
                (
                    encrypt_text(f"+86138{pk:08d}", context="notifications.smsoutbox.recipient"),
                    phone_index(f"+86138{pk:08d}"),
                    "notice",
                    "suspended",
                    "…",
                    f"suspended:{pk}:{due.isoformat()}",
                    pk,
                    due,
                    "delivered" if delivered else "failed",
                    now,
                    0,
                    "",
                    "",
                    "",
                    "",
                    now,
                )
            )
        elif roll < 0.015:
            status, reason, since = "suspended", "death_report", TODAY - datetime.timedelta(days=rng.randint(0, 60))
        elif roll < 0.025:
            status, since = "terminated", TODAY - datetime.timedelta(days=rng.randint(0, 365))
            deceased = since if roll < 0.02 else None
        has_phone = rng.random() >= 0.08
        pensioners.append(
            (
                pk,
                *pensioner_private_values(
                    id_number=f"3601021950{pk:07d}X", name="王秀英", phone=f"+86138{pk:08d}" if has_phone else None
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
            users.append((user_id, f"+86139{user_id:08d}", f"+86139{user_id:08d}"))
            links.append((user_id, pk, "child", "approved", "staff", now, now))
            user_id += 1
        if status == "active" and rng.random() < 0.003:
            for minutes in range(3):
                attempts.append(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128))),
                        pk,
                        1,
                        "face",
                        "rejected",
                        "below_threshold",
                        "",
                        "{}",
                        "",
                        0,
                        "",
                        "{}",
                        now - datetime.timedelta(days=rng.randint(0, 25), minutes=minutes),
                    )
                )
    with connection.cursor() as cursor:
        _copy(
            cursor,
            "accounts_region",
            "id, code, name, level, parent_id, service_address, service_phone",
            [(*r, "", "") for r in sorted(regions, key=lambda r: r[3])],
        )
        _copy(
            cursor,
            "accounts_user",
            f"id, username, {USER_PHONE_COLUMNS}, password, is_superuser, first_name, last_name, email, is_staff, "
            "is_active, date_joined",
            [
                (u, f"app-{u}", *user_phone_values(phone), "!", False, "", "", "", False, True, now)
                for u, _name, phone in users
            ],
        )
        _copy(cursor, "accounts_user_groups", "user_id, group_id", memberships)
        _copy(cursor, "accounts_villageassignment", "user_id, village_id, assigned_at", assignments)
        _copy(
            cursor,
            "accounts_pensioner",
            f"id, {PENSIONER_PRIVATE_COLUMNS}, birth_date, sex, region_id, benefit_status, status_since, "
            "suspension_reason, deceased_on, next_due, created_at",
            pensioners,
        )
        _copy(
            cursor,
            "accounts_relativelink",
            "relative_id, pensioner_id, relationship, status, approved_via, requested_at, decided_at",
            links,
        )
        _copy(
            cursor,
            "facecheck_faceattempt",
            "public_id, pensioner_id, actor_id, method, result, reason, model_id, quality, image_sha256, "
            "image_size, photo, timings, created_at",
            attempts,
        )
        _copy(
            cursor,
            "notifications_smsoutbox",
            "recipient, recipient_bidx, kind, template, text, reason, pensioner_id_ref, cycle_due, status, "
            "send_after, attempts, claim_token, provider_message_id, error_code, error_message, created_at",
            outbox,
        )
        for table in ("accounts_region", "accounts_user", "accounts_pensioner"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        cursor.execute("ANALYZE")
    return {
        "migrate_s": round(migrate_s, 1),
        "seed_s": round(time.perf_counter() - started, 1),
        "pensioners": len(pensioners),
        "relative_links": len(links),
        "face_attempts": len(attempts),
        "sms_rows": len(outbox),
        "users": len(users),
    }


def step_build(day: datetime.date) -> dict[str, object]:
    from casework.services.visits import visit_queue_build

    started = time.perf_counter()
    result = visit_queue_build(today=day)
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "created": result.created,
        "candidates": {str(k): v for k, v in result.candidates.items()},
        "skipped_recent": result.skipped_recent,
        "unassigned": result.unassigned,
    }


def step_chase(day: datetime.date) -> dict[str, object]:
    from casework.models import VisitTask
    from casework.services.visits import visit_tasks_chase

    VisitTask.objects.filter(status="open").update(due_on=day - datetime.timedelta(days=1))
    started = time.perf_counter()
    chased = visit_tasks_chase(today=day)
    from notifications.models import SmsOutbox

    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "tasks_chased": chased,
        "chase_sms": SmsOutbox.objects.filter(reason__startswith="visit_chase:").count(),
    }


def step_queue() -> dict[str, object]:
    """One grid worker's queue, as ``GET /api/v1/visits`` asks for it (first page)."""
    from django.db import connection

    from accounts.models import User
    from casework.visit_selectors import visit_tasks_for_actor

    worker = User.objects.filter(groups__name="grid_worker").order_by("pk").first()
    queryset = visit_tasks_for_actor(actor=worker)[:20]
    started = time.perf_counter()
    rows = list(queryset)
    wall_ms = (time.perf_counter() - started) * 1000
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN ANALYZE {sql}", params)
        plan = [row[0] for row in cursor.fetchall()]
    return {"rows": len(rows), "wall_ms": round(wall_ms, 1), "execution": plan[-1]}


def run_step(args: argparse.Namespace) -> None:
    setup_django()
    before = resource.getrusage(resource.RUSAGE_SELF)
    day = datetime.date.fromisoformat(args.day) if args.day else TODAY
    if args.name == "seed":
        figures = step_seed(args.pensioners)
    elif args.name == "build":
        figures = step_build(day)
    elif args.name == "chase":
        figures = step_chase(day)
    else:
        figures = step_queue()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    figures |= {
        "cpu_s": round(usage.ru_utime + usage.ru_stime - before.ru_utime - before.ru_stime, 2),
        "peak_rss_mib": round(peak_mib()),
    }
    print(json.dumps(figures, ensure_ascii=False))


def spawn(db_name: str, name: str, *extra: str) -> dict[str, object]:
    command = [sys.executable, __file__, "step", name, *extra]
    output = subprocess.run(command, env=environment(db_name), check=False, capture_output=True, text=True)
    if output.returncode:
        sys.exit(f"step {name} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command")
    step = sub.add_parser("step")
    step.add_argument("name", choices=["seed", "build", "chase", "queue"])
    step.add_argument("--pensioners", type=int, default=1_000_000)
    step.add_argument("--day", default="")
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--db-name", default="pension_safetynet_bench")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.command == "step":
        run_step(args)
        return
    print(f"pensioners: {args.pensioners:,}; cpu count: {os.cpu_count()}; load: {os.getloadavg()[0]:.2f}")
    _admin(f'DROP DATABASE IF EXISTS "{args.db_name}"')
    _admin(f'CREATE DATABASE "{args.db_name}"')
    try:
        next_day = (TODAY + datetime.timedelta(days=1)).isoformat()
        for label, name, extra in [
            ("seed", "seed", ["--pensioners", str(args.pensioners)]),
            ("build (first run)", "build", []),
            ("build (again, same day)", "build", []),
            ("build (next day)", "build", ["--day", next_day]),
            ("chase (next day, every task past due)", "chase", ["--day", next_day]),
            ("a grid worker's queue (first page)", "queue", []),
        ]:
            print(f"{label}: {json.dumps(spawn(args.db_name, name, *extra), ensure_ascii=False)}", flush=True)
    finally:
        if not args.keep:
            _admin(f'DROP DATABASE IF EXISTS "{args.db_name}"')


if __name__ == "__main__":
    main()
