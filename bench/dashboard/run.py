"""Dashboard queries at scale: 1,000,000 pensioners in PostgreSQL, every figure under 1 s.

    .venv/bin/python bench/dashboard/run.py                 # database pension_dashboard_bench, dropped after
    options: --pensioners 1000000  --repeat 5  --keep (do not drop)  --reuse (skip seeding a kept database)
             --live (also time the direct ``*_live`` queries, as before the summary tables)
    BENCH_DATABASE=<name> picks another database name.

Seeding is set-based SQL (``INSERT … SELECT`` over ``generate_series``, deterministic with
``setseed``), about a minute for a million people. Population, "today" = the day the bench runs:
- one province, 2 cities, 10 counties, 200 townships, 3,000 villages (about 330 people each);
- 97 % active, 1.5 % suspended (overdue), 1.5 % terminated;
- each person's latest certification: 96 % within the last 12 months, 4 % 12–14 months ago
  (overdue); methods 90 % silent, 5 % face, 2 % proxy face, 1.5 % on-site, 1.5 % counter; half
  of them also have the previous cycle's certification (1.5 M certifications in all);
- a face attempt for every face and proxy certification, plus 60,000 refused or rejected ones;
- 20,000 open cases (9 categories, up to 200 days old) and 50,000 closed ones;
- a monthly report from each village for each of the last 12 months (85 % on time, 10 % late,
  5 % missing; 60 % zero reports).

After seeding (or with ``--reuse``: after migrating the kept database) the summary tables are
rebuilt once (``dashboard.services.summaries_refresh``, timed). Each served selector then runs
``--repeat`` times for four staff members: a superuser (the whole province), a county's staff, a
township's staff and a village's staff, and for the periods the page and the API offer (the
default 12 months, 24 months, this month; a 12- and a 36-month trend), then each stats endpoint
(JSON, default parameters) and the whole page through Django's request handler; the table gives
the median and the slowest run.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

PG_BASE = "postgres://postgres@127.0.0.1:5432"
PG_NAME = os.environ.get("BENCH_DATABASE", "pension_dashboard_bench")
CITIES, COUNTIES_PER_CITY, TOWNSHIPS_PER_COUNTY, VILLAGES_PER_TOWNSHIP = 2, 5, 20, 15


def setup_django() -> None:
    os.environ.update(
        {
            "DATABASE_URL": f"{PG_BASE}/{PG_NAME}",
            "DEBUG": "False",
            "SECRET_KEY": "bench-secret-not-for-production",
            "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA",  # bench only, not for production
            "FIELD_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "0",
        }
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()


def admin_connection():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(f"{PG_BASE}/postgres", autocommit=True)


def create_database() -> None:
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')


def drop_database() -> None:
    from django.db import connections

    connections.close_all()
    with admin_connection() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')


def regions() -> list[tuple[int, str, str, int, int | None]]:
    """(id, code, name, level, parent id); villages get the contiguous ids 100000…"""
    rows: list[tuple[int, str, str, int, int | None]] = [(1, "360000000000", "江西省", 1, None)]
    next_id, village_id = 2, 100000
    for c in range(CITIES):
        city_id, city = next_id, f"36{c + 1:02d}"
        rows.append((city_id, city.ljust(12, "0"), f"市{c + 1}", 2, 1))
        next_id += 1
        for k in range(COUNTIES_PER_CITY):
            county_id, county = next_id, f"{city}{k + 1:02d}"
            rows.append((county_id, county.ljust(12, "0"), f"县{c + 1}-{k + 1}", 3, city_id))
            next_id += 1
            for t in range(TOWNSHIPS_PER_COUNTY):
                township_id, township = next_id, f"{county}{t + 1:03d}"
                rows.append((township_id, township.ljust(12, "0"), f"镇{c + 1}-{k + 1}-{t + 1}", 4, county_id))
                next_id += 1
                for v in range(VILLAGES_PER_TOWNSHIP):
                    rows.append((village_id, f"{township}{v + 1:03d}", f"村{village_id}", 5, township_id))
                    village_id += 1
    return rows


SEED_SQL = """
SELECT setseed(0.7);
CREATE TEMP TABLE seed AS
SELECT g AS id, random() AS r1, random() AS r2, random() AS r3, random() AS r4
  FROM generate_series(1, %(n)s) AS g;

CREATE TEMP TABLE person AS
SELECT id, r2, r3, r4,
       100000 + (id %% %(villages)s) AS village_id,
       (CASE WHEN r1 < 0.96 THEN floor(r1 / 0.96 * 365) ELSE 365 + floor((r1 - 0.96) / 0.04 * 60) END)::int AS days_ago,
       CASE WHEN r2 < 0.90 THEN 'silent' WHEN r2 < 0.95 THEN 'face' WHEN r2 < 0.97 THEN 'proxy_face'
            WHEN r2 < 0.985 THEN 'onsite' ELSE 'counter' END AS method,
       CASE WHEN r3 < 0.97 THEN 'active' WHEN r3 < 0.985 THEN 'suspended' ELSE 'terminated' END AS status
  FROM seed;

INSERT INTO selfservice_certification (id, pensioner_id, method, certified_at, valid_until, evidence_ref, created_at)
SELECT id, id, method,
       %(now)s::timestamptz - make_interval(days => days_ago, hours => (r4 * 10)::int),
       (%(today)s::date - days_ago + interval '12 months')::date, '', %(now)s
  FROM person;
-- the previous cycle, for half of them
INSERT INTO selfservice_certification (id, pensioner_id, method, certified_at, valid_until, evidence_ref, created_at)
SELECT %(n)s + id, id, method,
       %(now)s::timestamptz - make_interval(days => days_ago + 366),
       (%(today)s::date - days_ago - 1)::date, '', %(now)s
  FROM person WHERE id %% 2 = 0;

INSERT INTO accounts_pensioner
    (id, id_number, id_number_bidx, name, name_bidx, birth_date, sex, phone, region_id, benefit_status, status_since,
     suspension_reason, deceased_on, next_due, created_at, last_certification_id)
SELECT id, %(id_number_ct)s, {id_number_bidx}, %(name_ct)s, %(name_bidx)s, DATE '1950-01-01', 'F', NULL, village_id,
       status, DATE '2015-01-01', CASE WHEN status = 'suspended' THEN 'overdue' ELSE '' END,
       NULL, (%(today)s::date - days_ago + interval '12 months')::date, %(now)s, id
  FROM person;

INSERT INTO facecheck_faceattempt
    (public_id, pensioner_id, actor_id, method, result, reason, model_id, quality, image_sha256, image_size, photo,
     certification_id, timings, created_at)
SELECT gen_random_uuid(), id, %(user)s, method, 'accepted', '', 'bench', '{}', '', 0, '', id, '{}',
       %(now)s::timestamptz - make_interval(days => days_ago, hours => (r4 * 10)::int)
  FROM person WHERE method IN ('face', 'proxy_face');
INSERT INTO facecheck_faceattempt
    (public_id, pensioner_id, actor_id, method, result, reason, model_id, quality, image_sha256, image_size, photo,
     timings, created_at)
SELECT gen_random_uuid(), id, %(user)s, 'face',
       (ARRAY['rejected', 'refused', 'refused', 'refused', 'replay', 'review'])[1 + (id %% 6)],
       (ARRAY['', 'face_blurred', 'face_not_found', 'face_too_dark', 'same_bytes', 'grey_zone'])[1 + (id %% 6)],
       'bench', '{}', '', 0, '', '{}', %(now)s::timestamptz - make_interval(days => (r4 * 400)::int)
  FROM person WHERE id %% 16 = 3 LIMIT 60000;

INSERT INTO casework_case
    (pensioner_id, category, source, status, summary, details, created_at, updated_at, deadline, outcome,
     requires_city_review, accepted_by_id, decided_by_id)
SELECT id,
       (ARRAY['suspected_death', 'imprisoned', 'missing', 'lost_nationality', 'duplicate_receipt', 'duplicate_face',
              'face_review', 'onsite_visit', 'resumption'])[1 + (id %% 9)],
       'staff', CASE WHEN id %% 2 = 0 THEN 'open' ELSE 'accepted' END, '', '{}',
       %(now)s::timestamptz - make_interval(days => (r4 * 200)::int), %(now)s,
       %(today)s::date + 30 - (r4 * 200)::int, '', FALSE, CASE WHEN id %% 2 = 0 THEN NULL ELSE %(user)s END, NULL
  FROM person WHERE id %% 50 = 7;
INSERT INTO casework_case
    (pensioner_id, category, source, status, summary, details, created_at, updated_at, deadline, outcome,
     requires_city_review, accepted_by_id, decided_by_id)
SELECT id, 'suspected_death', 'staff', 'closed', '', '{}', %(now)s::timestamptz - make_interval(days => 300),
       %(now)s, NULL, '', FALSE, %(user)s, %(checker)s
  FROM person WHERE id %% 20 = 11;

INSERT INTO casework_monthlyreport
    (village_id, period, version, is_current, is_zero, note, due_on, submitted_by_id, submitted_at,
     first_submitted_at, client_request_id)
SELECT v.id, p.period, 1, TRUE, random() < 0.6, '', (p.period + interval '1 month 4 days')::date, %(user)s,
       t.at, t.at, gen_random_uuid()
  FROM accounts_region v
 CROSS JOIN (SELECT (date_trunc('month', %(today)s::date) - make_interval(months => m))::date AS period
               FROM generate_series(1, 12) AS m) p
 CROSS JOIN LATERAL (SELECT random() AS r) x
 CROSS JOIN LATERAL (SELECT (p.period + interval '1 month'
                             + make_interval(days => CASE WHEN x.r < 0.85 THEN 2 ELSE 9 END))::timestamptz AS at) t
 WHERE v.level = 5 AND x.r < 0.95;
"""


def seed(count: int, today: datetime.date) -> dict[str, float]:
    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.lookups import id_number_index_sql
    from accounts.models import Pensioner, User

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    started = time.perf_counter()
    maker = User.objects.create(username="bench-maker")
    checker = User.objects.create(username="bench-checker")
    rows = regions()
    villages = sum(1 for r in rows if r[3] == 5)
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.cursor.copy(
            "COPY accounts_region (id, code, name, level, parent_id, service_address, service_phone) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((*row, "", ""))
        now = datetime.datetime.combine(today, datetime.time(12), tzinfo=datetime.UTC)
        params = {"n": count, "villages": villages, "today": today, "now": now, "user": maker.pk, "checker": checker.pk}
        # Encrypted columns: the blind index of each ID number is computed in SQL (pgcrypto, the same HMAC as
        # Python); AES-GCM is not available in SQL, so every row carries one valid ciphertext of a placeholder
        # ID number and of the name (the dashboard never reads them).
        id_sql, (id_domain, index_key) = id_number_index_sql("'3601021950' || lpad(id::text, 7, '0') || 'X'")
        id_field, name_field = Pensioner._meta.get_field("id_number"), Pensioner._meta.get_field("name")
        params |= {
            "id_domain": id_domain,
            "index_key": index_key,
            "id_number_ct": id_field.get_db_prep_save("360102195001010026", connection),
            "name_ct": name_field.get_db_prep_save("王秀英", connection),
            "name_bidx": name_field.index_of("王秀英"),
        }
        seed_sql = SEED_SQL.replace(
            "{id_number_bidx}", id_sql.replace("%s", "%(id_domain)s", 1).replace("%s", "%(index_key)s", 1)
        )
        for statement in seed_sql.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
    with connection.cursor() as cursor:
        for table in (
            "accounts_region",
            "accounts_pensioner",
            "selfservice_certification",
            "casework_case",
            "casework_monthlyreport",
            "facecheck_faceattempt",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
        cursor.execute("SELECT count(*) FROM selfservice_certification")
        certifications = cursor.fetchone()[0]
    return {"migrate_s": migrated, "seed_s": time.perf_counter() - started, "certifications": certifications}


def refresh() -> float:
    from dashboard.services import summaries_refresh

    started = time.perf_counter()
    summaries_refresh()
    return time.perf_counter() - started


def measure(repeat: int, today: datetime.date, live: bool) -> list[tuple[str, str, float, float]]:
    from accounts.models import Region, User
    from accounts.roles import Role
    from accounts.services import user_add_role
    from casework.rules import month_add
    from dashboard import selectors

    def staff(name: str, region: Region | None, superuser: bool = False) -> User:
        user, _ = User.objects.get_or_create(
            username=name, defaults={"region": region, "is_staff": True, "is_superuser": superuser}
        )
        user_add_role(user=user, role=Role.ADMIN if superuser else Role.CASEWORKER)
        return User.objects.get(pk=user.pk)

    actors = {
        "province (superuser)": staff("bench-super", None, superuser=True),
        "county": staff("bench-county", Region.objects.get(code="360101000000")),
        "township": staff("bench-township", Region.objects.get(code="360101001000")),
        "village": staff("bench-village", Region.objects.get(code="360101001001")),
    }
    since = selectors.default_since(today)
    two_years = month_add(today, -24)
    this_month = month_add(today, 0)
    queries = {
        "certification by region and method": lambda a, area: selectors.certification_by_region(
            actor=a, area=area, since=since, today=today
        ),
        "certification by region, since 24 months": lambda a, area: selectors.certification_by_region(
            actor=a, area=area, since=two_years, today=today
        ),
        "certification by region, this month": lambda a, area: selectors.certification_by_region(
            actor=a, area=area, since=this_month, today=today
        ),
        "certifications per month (trend)": lambda a, area: selectors.certifications_by_month(
            actor=a, area=area, months=12, today=today
        ),
        "certifications per month, 36 months": lambda a, area: selectors.certifications_by_month(
            actor=a, area=area, months=36, today=today
        ),
        "report compliance": lambda a, area: selectors.report_compliance(
            actor=a, area=area, period=month_add(today, -1), today=today
        ),
        "open cases by category and age": lambda a, area: selectors.open_cases(actor=a, area=area, today=today),
        "face outcomes and reasons": lambda a, area: selectors.face_outcomes(actor=a, area=area, since=since),
        "face outcomes, since 24 months": lambda a, area: selectors.face_outcomes(actor=a, area=area, since=two_years),
    }
    if live:
        queries |= {
            "LIVE certification by region and method": lambda a, area: selectors.certification_by_region_live(
                actor=a, area=area, since=since, today=today
            ),
            "LIVE certifications per month (trend)": lambda a, area: selectors.certifications_by_month_live(
                actor=a, area=area, months=12, today=today
            ),
            "LIVE open cases by category and age": lambda a, area: selectors.open_cases_live(
                actor=a, area=area, today=today
            ),
            "LIVE face outcomes and reasons": lambda a, area: selectors.face_outcomes_live(
                actor=a, area=area, since=since
            ),
        }
    results = []
    for query_name, run in queries.items():
        for actor_name, actor in actors.items():
            area = selectors.dashboard_area(actor=actor)
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                run(actor, area)
                times.append(time.perf_counter() - started)
            results.append((query_name, actor_name, statistics.median(times), max(times)))
            median_ms, max_ms = results[-1][2] * 1000, results[-1][3] * 1000
            print(f"{query_name:<42} {actor_name:<22} median {median_ms:7.1f} ms  max {max_ms:7.1f} ms", flush=True)
    results += measure_http(repeat, actors)
    return results


def measure_http(repeat: int, actors: dict) -> list[tuple[str, str, float, float]]:  # type: ignore[type-arg]
    """Each stats endpoint (JSON, default parameters) and the whole page (all five figures),
    through Django's request handler, after one untimed request per client."""
    from django.test import Client
    from rest_framework.test import APIClient

    from dashboard.urls import ENDPOINTS

    urls = [f"/api/v1/{route}" for route, _view, _name in ENDPOINTS] + ["/staff/dashboard/"]
    results = []
    for url in urls:
        for actor_name, actor in actors.items():
            client: Client
            if url.startswith("/api/"):
                client = APIClient()
                client.force_authenticate(actor)
            else:
                client = Client()
                client.force_login(actor)
            client.get(url, secure=True)  # untimed: the first request of a client loads code and a session
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                response = client.get(url, secure=True)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (url, response.status_code)
            results.append((f"GET {url}", actor_name, statistics.median(times), max(times)))
            median_ms, max_ms = results[-1][2] * 1000, results[-1][3] * 1000
            print(f"{'GET ' + url:<42} {actor_name:<22} median {median_ms:7.1f} ms  max {max_ms:7.1f} ms", flush=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--live", action="store_true")
    args = parser.parse_args()
    today = datetime.datetime.now(tz=datetime.UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()
    if not args.reuse:
        create_database()
    setup_django()
    try:
        if not args.reuse:
            figures = seed(args.pensioners, today)
            print(
                f"seeded {args.pensioners:,} pensioners: migrate {figures['migrate_s']:.1f} s, "
                f"seed {figures['seed_s']:.1f} s, {figures['certifications']:,} certifications",
                flush=True,
            )
        from django.core.management import call_command
        from django.db import connection

        if args.reuse:
            call_command("migrate", verbosity=0)
        print(f"summary tables rebuilt in {refresh():.1f} s (load average {os.getloadavg()[0]:.1f})", flush=True)
        with connection.cursor() as cursor:
            for table in (
                "dashboard_latestcertificationsummary",
                "dashboard_certificationmonthsummary",
                "dashboard_opencasesummary",
                "dashboard_faceattemptsummary",
            ):
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 - a fixed table name
                print(f"  {table}: {cursor.fetchone()[0]:,} rows", flush=True)

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size {cursor.fetchone()[0]}; load average {os.getloadavg()[0]:.1f}", flush=True)
        results = measure(args.repeat, today, args.live)
        slowest = max(r[3] for r in results if not r[0].startswith(("LIVE", "GET /staff")))
        print(f"slowest single run of a served query or stats endpoint: {slowest * 1000:.1f} ms (target 1000 ms)")
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
