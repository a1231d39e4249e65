"""Load and fault test: the realistic mix for a while, with a gunicorn worker killed, a qcluster worker
killed and every PostgreSQL connection of the database cut, then a check from the database.

    pg_createcluster 15 relbench --port 5433 && pg_ctlcluster 15 relbench start   # a private server
    .venv/bin/python bench/reliability/run.py [--seconds 600] [--users 10] [--workers 3]
                                              [--pg-cluster relbench]   # restart that server
    pg_dropcluster 15 relbench --stop

gunicorn (sync workers) + PostgreSQL (database pension_sec_bench, dropped and re-created) + Redis
(db 7: django-q2 broker and the shared cache) on loopback, SMS to a file (SMS_BACKEND=file). locust,
headless, runs bench/reliability/locustfile.py: status 70 %, chatbot 15 %, face verify 5 %, reports
5 % (death reports 3 %, monthly village reports 2 %), login 5 %. Faults at 25 %, 45 % and 65 % of the run:

1. ``kill -9`` one gunicorn worker (the master starts another);
2. ``kill -9`` one qcluster worker (the sentinel starts another);
3. with ``--pg-cluster NAME``: a real restart of that PostgreSQL server (``pg_ctlcluster 15 NAME restart``:
   the server stops, refusing connections, and starts again); the run then uses that cluster's port.
   Never the shared server (``main`` is refused). Without it: ``pg_terminate_backend`` on every
   connection to the bench database.

A probe outside locust asks for the status every 0.25 s: the recovery time of a fault is from the fault
to the last failed probe after it. Afterwards, from the database and the SMS file: every death report
and certification the client got a 2xx receipt for is stored; no SMS reason was sent twice; nothing
due is left unsent; server errors by endpoint.
"""

from __future__ import annotations

import argparse
import base64
import collections
import contextlib
import csv
import datetime
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB_NAME = "pension_sec_bench"
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_VERSION = "15"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
PORT = 8791
WORK = ROOT / "var" / "reliability"
FACE_SOURCE = ROOT.parent / "shared" / "faces-dev" / "images" / "Colin_Powell" / "Colin_Powell_0040.jpg"
FACE_REFERENCE = ROOT.parent / "shared" / "faces-dev" / "images" / "Colin_Powell" / "Colin_Powell_0001.jpg"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def fresh_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_BASE}/{DB_NAME}"


def selfies(count: int) -> None:
    """640x480 JPEGs of one scene, each with its own invisible noise (distinct bytes, as real selfies)."""
    import numpy as np
    from PIL import Image

    folder = WORK / "selfies"
    folder.mkdir(parents=True, exist_ok=True)
    base = Image.open(FACE_SOURCE).convert("RGB").resize((420, 420), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (182, 176, 168))
    canvas.paste(base, (110, 30))
    rgb = np.asarray(canvas, dtype=np.int16)
    rng = np.random.default_rng(11)
    for index in range(count):
        noisy = np.clip(rgb + rng.integers(-1, 2, size=rgb.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, format="JPEG", quality=90)
        (folder / f"{index:04d}.jpg").write_bytes(buffer.getvalue())


def cluster_port(name: str) -> int:
    """The port of a local PostgreSQL cluster, from ``pg_lsclusters``."""
    for line in subprocess.run(["pg_lsclusters", "-h"], check=True, capture_output=True, text=True).stdout.splitlines():
        version, cluster, port, *_ = line.split()
        if version == PG_VERSION and cluster == name:
            return int(port)
    raise SystemExit(f"no PostgreSQL cluster {PG_VERSION}/{name} (pg_createcluster {PG_VERSION} {name} --port 5433)")


def seed(*, status_people: int, relatives: int, faces: int, logins: int, villages: int) -> dict:
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.utils import timezone
    from knox.models import AuthToken

    from accounts.idnumbers import check_digit
    from accounts.models import Pensioner, Region, RelativeLink, User, VillageAssignment
    from accounts.roles import Role
    from accounts.services import user_add_role
    from facecheck import services as face_services
    from selfservice.benefits import benefits_backfill

    call_command("migrate", verbosity=0)
    call_command("setup_schedules", verbosity=0)
    village = None
    for level, code in enumerate(["360000000000", "360100000000", "360102000000", "360102001000", "360102001001"], 1):
        village, _ = Region.objects.get_or_create(
            code=code, defaults={"name": f"基准{level}", "level": level, "parent": village}
        )
    assert village is not None
    counter = iter(range(1_000_000))

    def person(*, with_user: bool) -> Pensioner:
        index = next(counter)
        birth = datetime.date(1940 + index % 25, 1 + index % 12, 1 + index % 28)
        body = f"360102{birth:%Y%m%d}{index % 1000:03d}"
        phone = f"+86136{index:08d}"
        user = None
        if with_user:
            user = User.objects.create_user(username=phone, phone=phone)
            user_add_role(user=user, role=Role.PENSIONER)
        return Pensioner.objects.create(
            id_number=body + check_digit(body),
            name=f"基准{index}",
            birth_date=birth,
            sex="M",
            region=village,
            status_since=datetime.date(2010, 1, 1),
            next_due=datetime.date(2026, 12, 31),
            phone=phone,
            user=user,
        )

    def token(user: User | None) -> str:
        assert user is not None
        return AuthToken.objects.create(user=user)[1]

    fixture: dict = {"status_tokens": [], "relatives": [], "faces": [], "login_phones": [], "villages": []}
    for _ in range(status_people):
        fixture["status_tokens"].append(token(person(with_user=True).user))
    for index in range(relatives):
        pensioner = person(with_user=False)
        relative = User.objects.create_user(username=f"+86135{index:08d}", phone=f"+86135{index:08d}")
        user_add_role(user=relative, role=Role.RELATIVE)
        RelativeLink.objects.create(
            relative=relative, pensioner=pensioner, relationship="child", status=RelativeLink.Status.APPROVED
        )
        fixture["relatives"].append([token(relative), pensioner.pk])
    template = None
    for _ in range(faces):
        pensioner = person(with_user=True)
        if template is None:
            template = face_services.face_template_enroll(
                pensioner=pensioner, image=FACE_REFERENCE.read_bytes(), enrolled_by=None
            )
        else:  # the same reference photo for everybody: copy the row
            template.pk = None
            template.pensioner = pensioner
            template.save()
        fixture["faces"].append([token(pensioner.user), pensioner.pk])
    for _ in range(logins):
        fixture["login_phones"].append(person(with_user=False).phone)
    # Monthly village reports: one assistant per village, each village reported once for last month.
    township = village.parent
    for index in range(villages):
        own = Region.objects.create(
            code=f"360102001{index + 2:03d}", name=f"基准村{index}", level=Region.Level.VILLAGE, parent=township
        )
        assistant = User.objects.create_user(username=f"bench-assistant-{index}")
        user_add_role(user=assistant, role=Role.VILLAGE_ASSISTANT)
        VillageAssignment.objects.create(user=assistant, village=own)
        fixture["villages"].append([token(assistant), own.pk])
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    fixture["report_period"] = f"{last_month:%Y-%m}"
    benefits_backfill(kind="enterprise", monthly_amount=Decimal("3000.00"), start_date=datetime.date(2010, 1, 1))
    fixture["selfie_dir"] = str(WORK / "selfies")
    return fixture


class Probe(threading.Thread):
    """GET status every 0.25 s on a fresh connection; remembers (time, ok)."""

    def __init__(self, token: str) -> None:
        super().__init__(daemon=True)
        self.token = token
        self.samples: list[tuple[float, bool]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.time()
            request = urllib.request.Request(
                f"http://127.0.0.1:{PORT}/api/v1/certification/status",
                headers={"Authorization": f"Bearer {self.token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - a fixed http URL
                    ok = response.status == 200
            except (urllib.error.URLError, OSError, TimeoutError):
                ok = False
            self.samples.append((started, ok))
            self.stop.wait(max(0.0, 0.25 - (time.time() - started)))

    def recovery(self, since: float, window: float = 90) -> tuple[float, int]:
        """Seconds from ``since`` to the last failed probe in the window after it, and how many failed."""
        failed = [t for t, ok in self.samples if since <= t <= since + window and not ok]
        return (max(failed) - since if failed else 0.0), len(failed)


class QueueWatch(threading.Thread):
    """Every 5 s, the check of ``manage.py sms_queue_check``: is an urgent SMS (login code, notice, reply)
    due for more than ``stall`` seconds and still pending? That means the task cluster stopped taking
    tasks (django-q2 issue 23: a worker killed while it held the task queue's read lock leaves every
    other worker waiting for that lock forever). With
    ``restart`` the cluster is then killed and started again, as a process supervisor with a liveness check
    would; each stall and restart is recorded."""

    def __init__(self, *, stall: float, restart: Callable[[], None] | None) -> None:
        super().__init__(daemon=True)
        self.stall = stall
        self.restart = restart
        self.events: list[tuple[str, float]] = []
        self.stop = threading.Event()

    def oldest_due(self) -> float | None:
        from django.db import close_old_connections, connection

        from notifications.selectors import sms_oldest_due_seconds  # what `manage.py sms_queue_check` asks

        close_old_connections()
        try:
            return sms_oldest_due_seconds()
        except Exception:  # the database may be restarting: ask again next time
            connection.close()
            return None

    def run(self) -> None:
        while not self.stop.wait(5):
            age = self.oldest_due()
            if age is None or age < self.stall:
                continue
            self.events.append(("stalled", time.time() - age))
            log(f"task cluster stalled: an urgent SMS has been due for {age:.0f} s")
            if self.restart is None:
                return
            self.restart()
            self.events.append(("restarted", time.time()))
            log("task cluster killed and started again")
            # Tasks the dead cluster had taken from Redis are gone with it; the rows stay pending and the
            # drain (every minute) sends them. Give the new cluster time to start and drain once.
            self.stop.wait(self.stall + 75)


def qcluster_worker_pids() -> list[int]:
    from django_q.status import Stat

    pids: list[int] = []
    for stat in Stat.get_all():
        pids.extend(stat.workers or [])
    return pids


def restart_cluster(name: str) -> float:
    """A real server restart (stop: connections refused; start again). Returns how long the command took."""
    if name == "main":
        raise SystemExit("refusing to restart the shared server 15/main")
    started = time.time()
    subprocess.run(["pg_ctlcluster", PG_VERSION, name, "restart"], check=True)
    return time.time() - started


def terminate_database_connections() -> int:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [DB_NAME],
        ).fetchall()
    return len(rows)


def verify(*, receipts_file: Path, sms_file: Path) -> dict:
    from django.db import close_old_connections
    from django.db.models import Count

    from casework.models import DeathReport, MonthlyReport
    from notifications.models import SmsOutbox
    from selfservice.models import Certification

    close_old_connections()
    receipts = [json.loads(line) for line in receipts_file.read_text().splitlines()] if receipts_file.exists() else []
    reports = {r["rid"]: r["id"] for r in receipts if r["kind"] == "death_report"}
    stored = {
        str(rid): pk
        for rid, pk in DeathReport.objects.filter(client_request_id__in=list(reports)).values_list(
            "client_request_id", "pk"
        )
    }
    lost_reports = [rid for rid, pk in reports.items() if stored.get(rid) != pk]
    monthly = {r["rid"]: r["id"] for r in receipts if r["kind"] == "monthly_report"}
    stored_monthly = {
        str(rid): pk
        for rid, pk in MonthlyReport.objects.filter(client_request_id__in=list(monthly)).values_list(
            "client_request_id", "pk"
        )
    }
    lost_monthly = [rid for rid, pk in monthly.items() if stored_monthly.get(rid) != pk]
    certifications = {r["id"] for r in receipts if r["kind"] == "certification"}
    found = set(Certification.objects.filter(pk__in=certifications).values_list("pk", flat=True))
    sent_reasons: collections.Counter[str] = collections.Counter()
    if sms_file.exists():
        for line in sms_file.read_text(encoding="utf-8").splitlines():
            sent_reasons[json.loads(line)["reason"]] += 1
    twice = {reason: n for reason, n in sent_reasons.items() if n > 1}
    by_status = dict(SmsOutbox.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    delays = sorted(
        (sent - created).total_seconds()
        for created, sent in SmsOutbox.objects.filter(sent_at__isnull=False).values_list("created_at", "sent_at")
        if sent is not None
    )
    return {
        "death_report_receipts": len(reports),
        "death_reports_lost": len(lost_reports),
        "death_report_rows": DeathReport.objects.count(),
        "monthly_report_receipts": len(monthly),
        "monthly_reports_lost": len(lost_monthly),
        "monthly_report_rows": MonthlyReport.objects.count(),
        "certification_receipts": len(certifications),
        "certifications_lost": len(certifications - found),
        "sms_sent_lines": sum(sent_reasons.values()),
        "sms_reasons_sent_twice": len(twice),
        "sms_twice_examples": list(twice.items())[:5],
        "outbox_by_status": by_status,
        "sms_delay_p50_s": round(delays[len(delays) // 2], 1) if delays else None,
        "sms_delay_max_s": round(delays[-1], 1) if delays else None,
        "sms_delayed_over_30s": sum(1 for d in delays if d > 30),
        "outbox_reasons_unique": SmsOutbox.objects.values("reason").distinct().count() == SmsOutbox.objects.count(),
    }


def locust_table(prefix: Path) -> list[dict[str, str]]:
    with (prefix.parent / f"{prefix.name}_stats.csv").open() as handle:
        return list(csv.DictReader(handle))


def failures_table(prefix: Path) -> list[dict[str, str]]:
    path = prefix.parent / f"{prefix.name}_failures.csv"
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=600)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument(
        "--pg-cluster", default="", help="a private PostgreSQL 15 cluster to run on and restart (never 'main')"
    )
    parser.add_argument("--stall-seconds", type=float, default=60, help="an urgent SMS pending this long = stalled")
    parser.add_argument(
        "--supervise", action="store_true", help="restart a stalled task cluster (as systemd with a liveness check)"
    )
    args = parser.parse_args()
    global PG_BASE
    if args.pg_cluster:
        if args.pg_cluster == "main":
            raise SystemExit("refusing to restart the shared server 15/main")
        PG_BASE = f"postgres://postgres@127.0.0.1:{cluster_port(args.pg_cluster)}"

    os.chdir(ROOT)
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    sms_file = WORK / "sms.jsonl"
    receipts_file = WORK / "receipts.jsonl"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DATABASE_URL": fresh_database(),
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",  # plain HTTP on loopback, no proxy in front
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        # fresh keys for the run's throw-away database (production reads them from the environment too)
        "FIELD_ENCRYPTION_KEYS": base64.b64encode(os.urandom(32)).decode(),
        "FIELD_BLIND_INDEX_KEY": base64.b64encode(os.urandom(32)).decode(),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
        "SMS_QUIET_HOURS_START": "",  # the run may fall in the night in China; send everything now
        "Q_REDIS_URL": REDIS_URL,
        "CACHE_URL": REDIS_URL,
        "Q_WORKERS": "2",
        # a row left "sending" by a killed worker is settled by the 5-minute sweep once it is this old
        # (production: 600 s); shortened so the run can wait for it
        "SMS_STUCK_AFTER_SECONDS": "120",
        # every simulated client comes from 127.0.0.1: the per-address login throttles would see one client
        "THROTTLE_LOGIN_CODE": "100000/min",
        "THROTTLE_LOGIN_CODE_DAILY": "10000000/day",
        "MEDIA_ROOT": str(WORK / "media"),
        "LOG_LEVEL": "WARNING",
        "RELIABILITY_RECEIPTS": str(receipts_file),
        "RELIABILITY_FIXTURE": str(WORK / "fixture.json"),
    }
    os.environ.update(env)
    subprocess.run(["redis-cli", "-u", REDIS_URL, "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)
    rate = args.users / 1.0  # between(0.5, 1.5) s of wait: about one request per user per second
    expected = int(rate * args.seconds * 0.05 * 1.3) + 20
    started = time.time()
    selfies(expected)
    fixture = seed(status_people=300, relatives=expected, faces=expected, logins=expected, villages=expected)
    (WORK / "fixture.json").write_text(json.dumps(fixture))
    log(f"seeded in {time.time() - started:.0f} s ({expected} each of relatives, faces, login phones)")

    gunicorn_log = (WORK / "gunicorn.log").open("w")
    qcluster_log = (WORK / "qcluster.log").open("w")
    gunicorn = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "backend.wsgi", "-w", str(args.workers), "-b", f"127.0.0.1:{PORT}",
         "--timeout", "60", "--log-level", "warning"],
        env=env, stdout=gunicorn_log, stderr=subprocess.STDOUT,
    )  # fmt: skip

    def start_qcluster() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [str(ROOT / ".venv/bin/python"), "manage.py", "qcluster"],
            env=env,
            stdout=qcluster_log,
            stderr=subprocess.STDOUT,
        )

    qcluster = start_qcluster()
    clusters = [qcluster]

    def restart_qcluster() -> None:
        import psutil

        current = clusters[-1]
        tree = [current.pid, *(child.pid for child in psutil.Process(current.pid).children(recursive=True))]
        for pid in tree:  # a stalled cluster may not stop on SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        current.wait(timeout=30)
        clusters.append(start_qcluster())

    watch = QueueWatch(stall=args.stall_seconds, restart=restart_qcluster if args.supervise else None)
    locust = None
    probe = Probe(fixture["status_tokens"][0])
    faults: list[tuple[str, float, str]] = []
    try:
        for _ in range(600):  # workers warm up (face models, chatbot classifier) before serving
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/v1/ping", timeout=60):
                    pass
            except urllib.error.HTTPError:
                break  # 401: the server answers
            except OSError:
                time.sleep(0.5)
        time.sleep(10)
        log("gunicorn and qcluster up; starting locust")
        probe.start()
        watch.start()
        prefix = WORK / "locust"
        locust = subprocess.Popen(
            [str(ROOT / ".venv/bin/locust"), "-f", str(Path(__file__).with_name("locustfile.py")), "--headless",
             "-u", str(args.users), "-r", str(args.users), "-t", f"{args.seconds}s", "--host",
             f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
             "--stop-timeout", "30"],
            env=env, stdout=(WORK / "locust.log").open("w"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        t0 = time.time()

        def at(fraction: float) -> None:
            time.sleep(max(0.0, t0 + args.seconds * fraction - time.time()))

        import psutil

        at(0.25)
        worker = psutil.Process(gunicorn.pid).children()[0]
        os.kill(worker.pid, signal.SIGKILL)
        faults.append(("gunicorn worker killed", time.time(), f"pid {worker.pid}"))
        log(f"killed gunicorn worker {worker.pid}")
        at(0.45)
        pids = qcluster_worker_pids()
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            faults.append(("qcluster worker killed", time.time(), f"pid {pids[0]} of {len(pids)}"))
            log(f"killed qcluster worker {pids[0]}")
        else:
            log("no qcluster worker pid found in the cluster stats")
        at(0.65)
        if args.pg_cluster:
            fault_at = time.time()
            took = restart_cluster(args.pg_cluster)
            detail = f"pg_ctlcluster {PG_VERSION} {args.pg_cluster} restart, took {took:.1f} s"
            faults.append(("PostgreSQL server restarted", fault_at, detail))
            log(detail)
        else:
            fault_at = time.time()
            cut = terminate_database_connections()
            faults.append(("PostgreSQL connections terminated", fault_at, f"{cut} backends of {DB_NAME}"))
            log(f"terminated {cut} PostgreSQL backends")
        locust.wait()
        duration = time.time() - t0
        probe.stop.set()
        log("locust finished; letting the SMS outbox drain")
        from notifications.models import SmsOutbox

        # A row claimed ("sending") by a worker that died is settled by the sweep (every 5 minutes),
        # which asks the provider (here: the SMS file) whether it went out before sending it again.
        deadline = time.time() + 420
        while time.time() < deadline:
            from django.db import close_old_connections

            close_old_connections()
            if not SmsOutbox.objects.filter(status__in=["pending", "sending"]).exists():
                break
            time.sleep(5)
        drained_after = time.time() - t0 - duration
        result = verify(receipts_file=receipts_file, sms_file=sms_file)
        result["outbox_settled_seconds_after_load"] = round(drained_after)
    finally:
        probe.stop.set()
        watch.stop.set()
        if locust and locust.poll() is None:
            locust.terminate()
        for process in (gunicorn, clusters[-1]):
            process.send_signal(signal.SIGTERM)
        for process in (gunicorn, clusters[-1]):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    print(f"\nload: {args.users} locust users, {duration:.0f} s, gunicorn {args.workers} sync workers, 2 q workers")
    rows = locust_table(WORK / "locust")
    print(f"{'endpoint':32} {'requests':>8} {'failures':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7}")
    for row in rows:
        print(
            f"{row['Name'][:32]:32} {row['Request Count']:>8} {row['Failure Count']:>8} "
            f"{float(row['Requests/s']):7.2f} {row['50%']:>7} {row['95%']:>7}"
        )
    print("\nfailures (locust):")
    for row in failures_table(WORK / "locust"):
        print(f"  {row['Occurrences']:>5} × {row['Name']}: {row['Error'][:100]}")
    print("\nfaults (recovery = fault → last failed probe; probe = GET status every 0.25 s):")
    for name, when, detail in faults:
        seconds, failed = probe.recovery(when)
        print(f"  {name} ({detail}) at +{when - t0:.0f} s: {failed} failed probes, recovered in {seconds:.1f} s")
    print(f"\ntask cluster watch (an urgent SMS due and pending for more than {args.stall_seconds:.0f} s):")
    for event, when in watch.events:
        print(f"  {event} at +{when - t0:.0f} s")
    if not watch.events:
        print("  never stalled")
    print("\ndatabase check:")
    for key, value in result.items():
        print(f"  {key}: {value}")
    (WORK / "result.json").write_text(
        json.dumps({"result": result, "faults": faults, "watch": watch.events}, default=str, indent=1)
    )


if __name__ == "__main__":
    main()
