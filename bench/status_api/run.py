"""Status endpoint vs a trivial authenticated endpoint, same server, same run.

PostgreSQL with 100,000 pensioners, gunicorn with 2 sync workers, a keep-alive HTTP load from this
process (threads). Prints requests per second and p50/p95 latency for both, and the ratio.

    .venv/bin/python bench/status_api/run.py [--pensioners 100000] [--seconds 15] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DB_NAME = os.environ.get("BENCH_STATUS_DB", "pension_bench_status")
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PORT = int(os.environ.get("BENCH_STATUS_PORT", "8765"))


def ensure_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_BASE}/{DB_NAME}"


def seed(count: int) -> str:
    """Bulk-insert pensioners (set-based, seconds not minutes); return a token of one pensioner."""
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from knox.models import AuthToken

    from accounts.idnumbers import check_digit
    from accounts.models import Pensioner, Region, User
    from accounts.roles import Role
    from accounts.services import user_add_role
    from selfservice.benefits import benefits_backfill

    call_command("migrate", verbosity=0)
    village = None
    for level, code in enumerate(["360000000000", "360100000000", "360102000000", "360102001000", "360102001001"], 1):
        village, _ = Region.objects.get_or_create(
            code=code, defaults={"name": f"基准{level}", "level": level, "parent": village}
        )
    have = Pensioner.objects.count()
    today = datetime.date(2026, 11, 23)
    batch: list[Pensioner] = []
    for index in range(have, count):
        body = f"360102{1940 + index % 25}{1 + index % 12:02d}{1 + index % 28:02d}{index % 1000:03d}"
        body = body[:14] + f"{(index // 1000) % 1000:03d}"
        id_number = body + check_digit(body)
        batch.append(
            Pensioner(
                id_number=id_number,
                name=f"老人{index}",
                birth_date=datetime.date(1940 + index % 25, 1 + index % 12, 1 + index % 28),
                sex="F",
                region=village,
                status_since=datetime.date(2010, 1, 1),
                next_due=today + datetime.timedelta(days=index % 400 - 30),
            )
        )
        if len(batch) == 5000:
            Pensioner.objects.bulk_create(batch, ignore_conflicts=True)
            batch.clear()
    Pensioner.objects.bulk_create(batch, ignore_conflicts=True)
    benefits_backfill(kind="enterprise", monthly_amount=Decimal("3000.00"), start_date=datetime.date(2010, 1, 1))
    pensioner = Pensioner.objects.order_by("pk")[count // 2]
    if pensioner.user_id is None:
        user = User.objects.create_user(username="+8613812345678", phone="+8613812345678")
        user_add_role(user=user, role=Role.PENSIONER)
        pensioner.user = user
        pensioner.save(update_fields=["user"])
    _instance, token = AuthToken.objects.create(user=pensioner.user)
    return token


def hammer(path: str, token: str, seconds: float, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        local: list[float] = []
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                errors[0] += 1
            local.append(time.perf_counter() - start)
        conn.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors[0],
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pensioners", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument(
        "--concurrency",
        type=int,
        nargs="+",
        default=[2, 8],
        help="client counts: 2 = one per worker (latency), 8 = saturated (throughput)",
    )
    args = parser.parse_args()

    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": ensure_database(),
        "DEBUG": "False",
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA",  # bench only, not for production
        "FIELD_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA",
        "SMS_BACKEND": "memory",
        # Plain HTTP on loopback: no redirect to https (production sits behind a TLS proxy).
        "SECURE_SSL_REDIRECT": "False",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    started = time.perf_counter()
    token = seed(args.pensioners)
    print(f"seeded {args.pensioners} pensioners in {time.perf_counter() - started:.1f} s")

    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "backend.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        # Workers load the face models and train the chatbot classifier before serving (WARM_UP_ON_START).
        for _ in range(300):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
                probe.request("GET", "/api/v1/ping")
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.5)
        time.sleep(5)  # the second worker finishes its warm-up too
        endpoints = {"trivial (/api/v1/ping)": "/api/v1/ping", "status": "/api/v1/certification/status"}
        for path in endpoints.values():
            hammer(path, token, 2, max(args.concurrency))  # warm up connections and caches
        results: dict[int, dict[str, list[dict[str, float]]]] = {}
        for clients in args.concurrency:
            results[clients] = {name: [] for name in endpoints}
            for _round in range(2):  # interleave so drift on a shared machine hits both alike
                for name, path in endpoints.items():
                    results[clients][name].append(hammer(path, token, args.seconds / 2, clients))
    finally:
        server.terminate()
        server.wait()

    for clients, by_endpoint in results.items():
        summary = {}
        print(f"\ngunicorn 2 sync workers, {clients} keep-alive clients, {args.seconds:.0f} s per endpoint")
        for name, runs in by_endpoint.items():
            rps = sum(r["rps"] for r in runs) / len(runs)
            p50 = statistics.mean(r["p50_ms"] for r in runs)
            p95 = statistics.mean(r["p95_ms"] for r in runs)
            errors = sum(r["errors"] for r in runs)
            summary[name] = rps
            print(f"{name:<24} {rps:8.1f} req/s   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms   errors {errors}")
        ratio = summary["status"] / summary["trivial (/api/v1/ping)"]
        print(f"status / trivial throughput: {ratio:.0%} (target >= 60 %)")


if __name__ == "__main__":
    main()
