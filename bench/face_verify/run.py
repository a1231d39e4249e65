"""Face verification latency: the verify endpoint end to end vs raw ONNX inference, same image, same run.

    .venv/bin/python bench/face_verify/run.py [--requests 120] [--workers 1] [--raw-only]
                                              [--throughput 200 --clients 4]

The image is a 640x480 JPEG selfie (an LFW photo of Colin Powell framed as a phone selfie, with a
different invisible noise pattern per request so every upload has its own bytes, as real selfies do).

Raw inference = onnxruntime ``session.run`` of the detector (on the input the pipeline uses: 640x480 for
this photo, long side at FACECHECK_DET_SIZE without letterboxing) plus the recogniser
(one 112x112 crop), nothing else: no decoding, resizing, alignment or NMS. The pipeline runs the
recogniser twice (flip averaging), so the raw figure is also given with two recogniser runs.

End to end = HTTP POST /api/v1/facecheck/verify against gunicorn (sync workers, DEBUG off,
PostgreSQL), one request at a time, each for a different enrolled pensioner so every request takes
the full accept path: decode, detect, gates, align, embed, replay checks, scoring, attempt + photo
stored, certification recorded, ageing template, audit. Raw and end-to-end samples are taken in
alternating blocks so drift on this shared machine hits both alike. Peak RSS of each worker is read
from /proc (VmHWM) at the end.

With --throughput N, N more accept-path requests follow from --clients keep-alive connections at
once (each for its own pensioner): requests per second at saturation, for sizing workers.
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
DB_NAME = os.environ.get("BENCH_DB_NAME", "pension_face_bench")
PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PORT = 8766
SOURCE = ROOT.parent / "shared" / "faces-dev" / "images" / "Colin_Powell" / "Colin_Powell_0040.jpg"
REFERENCE = ROOT.parent / "shared" / "faces-dev" / "images" / "Colin_Powell" / "Colin_Powell_0001.jpg"


def selfie_jpegs(count: int) -> list[bytes]:
    """640x480 JPEGs of the same scene, each with its own +-1 level noise (distinct bytes, same pHash)."""
    from PIL import Image

    base = Image.open(SOURCE).convert("RGB").resize((420, 420), Image.Resampling.BICUBIC)
    canvas = Image.new("RGB", (640, 480), (182, 176, 168))
    canvas.paste(base, (110, 30))
    rgb = np.asarray(canvas, dtype=np.int16)
    rng = np.random.default_rng(7)
    out = []
    for _ in range(count):
        noisy = np.clip(rgb + rng.integers(-1, 2, size=rgb.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(noisy).save(buffer, format="JPEG", quality=90)
        out.append(buffer.getvalue())
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


class Raw:
    """Session-level timing of the configured detector and recogniser on one image."""

    def __init__(self, jpeg: bytes) -> None:
        import cv2

        from facecheck.engine.config import EngineConfig
        from facecheck.engine.loader import ModelPack, get_engine

        config = EngineConfig.from_settings()
        self.pack = ModelPack(config)
        self.engine = get_engine(config)
        bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
        det = self.pack.detector
        # The detector input the pipeline itself uses for this photo (long side det_size, no letterbox).
        width, height = self.engine.detector_input_size(bgr.shape)
        scale = min(width / bgr.shape[1], height / bgr.shape[0])
        resized = cv2.resize(bgr, (int(bgr.shape[1] * scale), int(bgr.shape[0] * scale)))
        padded = np.zeros((height, width, 3), np.uint8)
        padded[: resized.shape[0], : resized.shape[1]] = resized
        self.det_input = (width, height)
        self.det_session = det._session_for_input_size((width, height))
        self.det_feed = {det.input_name: det._prepare_input_blob(padded, (width, height))}
        self.det_outputs = det.output_names
        _boxes, kpss = det.detect(bgr, input_size=(width, height))
        from facecheck.engine.align import norm_crop

        crop = norm_crop(bgr, kpss[0], self.pack.crop_size)
        rec = self.pack.recognizer
        blob = cv2.dnn.blobFromImages(
            [crop], 1.0 / rec.input_std, rec.input_size, (rec.input_mean,) * 3, swapRB=True
        ).astype(np.float32)
        self.rec_session, self.rec_feed, self.rec_outputs = rec.session, {rec.input_name: blob}, rec.output_names

    def pipeline(self, jpeg: bytes) -> float:
        """The whole engine on the upload, no Django: decode, detect, gates, align, 2 embeddings, pHashes."""
        t0 = time.perf_counter()
        self.engine.analyze_bytes(jpeg)
        return time.perf_counter() - t0

    def once(self) -> tuple[float, float]:
        t0 = time.perf_counter()
        self.det_session.run(self.det_outputs, self.det_feed)
        t1 = time.perf_counter()
        self.rec_session.run(self.rec_outputs, self.rec_feed)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1


def ensure_database() -> str:
    import psycopg

    with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DB_NAME]).fetchone():
            conn.execute(f'DROP DATABASE "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{PG_BASE}/{DB_NAME}"


def seed(count: int) -> list[tuple[int, str]]:
    """``count`` pensioners with app accounts, each enrolled with the same reference photo."""
    import datetime
    from decimal import Decimal

    from django.core.management import call_command
    from knox.models import AuthToken

    from accounts.idnumbers import check_digit
    from accounts.models import Pensioner, Region, User
    from accounts.roles import Role
    from accounts.services import user_add_role
    from facecheck import services
    from facecheck.models import FaceTemplate
    from selfservice.benefits import benefits_backfill

    call_command("migrate", verbosity=0)
    village = None
    for level, code in enumerate(["360000000000", "360100000000", "360102000000", "360102001000", "360102001001"], 1):
        village, _ = Region.objects.get_or_create(
            code=code, defaults={"name": f"基准{level}", "level": level, "parent": village}
        )
    people = []
    template = None
    for index in range(count):
        body = f"3601021950010{index:04d}"
        phone = f"+86137{index:08d}"
        user = User.objects.create_user(username=phone, phone=phone)
        user_add_role(user=user, role=Role.PENSIONER)
        pensioner = Pensioner.objects.create(
            id_number=body + check_digit(body),
            name=f"基准{index}",
            birth_date=datetime.date(1950, 1, 1),
            sex="M",
            region=village,
            status_since=datetime.date(2010, 1, 1),
            next_due=datetime.date(2026, 12, 31),
            user=user,
        )
        benefits_backfill(kind="enterprise", monthly_amount=Decimal("3000.00"), start_date=datetime.date(2010, 1, 1))
        if template is None:
            template = services.face_template_enroll(
                pensioner=pensioner, image=REFERENCE.read_bytes(), enrolled_by=None
            )
        else:  # same photo for everybody: copy the row instead of running 100+ enrollments
            template.pk = None
            template.pensioner = pensioner
            template.save()
        _instance, token = AuthToken.objects.create(user=user)
        people.append((pensioner.pk, token))
    assert FaceTemplate.objects.count() == count
    return people


def post(conn: http.client.HTTPConnection, token: str, jpeg: bytes) -> tuple[int, bytes, float]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="selfie.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n"
        ).encode()
        + jpeg
        + f"\r\n--{boundary}--\r\n".encode()
    )
    start = time.perf_counter()
    conn.request(
        "POST",
        "/api/v1/facecheck/verify",
        body=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    response = conn.getresponse()
    payload = response.read()
    return response.status, payload, time.perf_counter() - start


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=120)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--raw-only", action="store_true", help="only the raw inference half (no database)")
    parser.add_argument("--throughput", type=int, default=0, help="requests for the saturation phase (0: none)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections in the saturation phase")
    args = parser.parse_args()

    os.chdir(ROOT)
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "backend.settings",
        "DEBUG": "False",
        "SECURE_SSL_REDIRECT": "False",  # plain HTTP on 127.0.0.1 (production redirects to HTTPS)
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "FIELD_ENCRYPTION_KEYS": "YmVuY2gtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTA",  # bench only, not for production
        "FIELD_BLIND_INDEX_KEY": "YmVuY2gtb25seS1ibGluZC1pbmRleC1rZXktMDAwMDA",
        "SMS_BACKEND": "memory",
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": str(ROOT / "var" / "bench_face_media"),
    }
    if not args.raw_only:
        env["DATABASE_URL"] = ensure_database()
    os.environ.update(env)
    import django

    django.setup()
    jpegs = selfie_jpegs(args.requests + args.throughput + 1)
    raw = Raw(jpegs[0])
    for _ in range(10):
        raw.once()
    print(f"image: 640x480 JPEG, {len(jpegs[0]):,} bytes; model {raw.pack.model_id}, det {raw.pack.detector_file.name}")
    det_times: list[float] = []
    rec_times: list[float] = []
    pipeline_times: list[float] = []

    def raw_block(n: int) -> None:
        for index in range(n):
            det, rec = raw.once()
            det_times.append(det)
            rec_times.append(rec)
            pipeline_times.append(raw.pipeline(jpegs[index % len(jpegs)]))

    if args.raw_only:
        raw_block(max(args.requests, 100))
        report_raw(det_times, rec_times, pipeline_times)
        return

    people = seed(args.requests + args.throughput)
    saturation_people, people = people[args.requests :], people[: args.requests]
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "backend.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
        ],
        env=env,
    )
    latencies: list[float] = []
    results: dict[str, int] = {}
    try:
        for _ in range(200):
            try:
                probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
                probe.request("GET", "/api/v1/ping", headers={"Authorization": f"Bearer {people[0][1]}"})
                probe.getresponse().read()
                break
            except OSError:
                time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        # Warm-up: the first request of each worker loads and warms the models.
        for _pensioner_id, token in people[: args.workers]:
            post(conn, token, jpegs[-1])
        block = 10
        for start in range(args.workers, len(people), block):
            raw_block(block)
            for (_pid, token), jpeg in zip(people[start : start + block], jpegs[start : start + block], strict=False):
                status, payload, seconds = post(conn, token, jpeg)
                key = f"{status} {payload.split(b',')[0].decode(errors='replace')}"
                results[key] = results.get(key, 0) + 1
                latencies.append(seconds)
        throughput = saturate(saturation_people, jpegs[args.requests : -1], args.clients) if args.throughput else None
        workers = [int(p) for p in subprocess.check_output(["pgrep", "-P", str(server.pid)]).split()]
        peaks = [peak_rss_mib(pid) for pid in workers]
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(env["MEDIA_ROOT"], ignore_errors=True)  # stored selfies: do not leave face photos around
    report_raw(det_times, rec_times, pipeline_times)
    p50, p95 = statistics.median(latencies) * 1000, percentile(latencies, 95) * 1000
    raw_p50 = (statistics.median(det_times) + statistics.median(rec_times)) * 1000
    raw2_p50 = (statistics.median(det_times) + 2 * statistics.median(rec_times)) * 1000
    print(
        f"end to end ({len(latencies)} requests, gunicorn {args.workers} sync worker(s)): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    print(f"responses: {results}")
    pipe_p50 = statistics.median(pipeline_times) * 1000
    print(
        f"ratio p50 end-to-end / raw (det + 1 rec): {p50 / raw_p50:.2f}; / raw (det + 2 rec): {p50 / raw2_p50:.2f}; "
        f"/ engine pipeline: {p50 / pipe_p50:.2f}"
    )
    print(f"peak RSS per worker: {', '.join(f'{p:.0f} MiB' for p in peaks)}")
    if throughput is not None:
        count, seconds, sat_latencies, sat_results = throughput
        print(
            f"saturation ({count} requests, {args.clients} clients, {args.workers} worker(s)): "
            f"{count / seconds:.1f} req/s, p50 {statistics.median(sat_latencies) * 1000:.1f} ms, "
            f"p95 {percentile(sat_latencies, 95) * 1000:.1f} ms; responses: {sat_results}"
        )


def saturate(
    people: list[tuple[int, str]], jpegs: list[bytes], clients: int
) -> tuple[int, float, list[float], dict[int, int]]:
    """All requests from ``clients`` connections at once; (count, wall seconds, latencies, statuses)."""
    import threading

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    work = list(zip(people, jpegs, strict=False))

    def client(share: list[tuple[tuple[int, str], bytes]]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        for (_pid, token), jpeg in share:
            status, _payload, seconds = post(conn, token, jpeg)
            with lock:
                latencies.append(seconds)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=client, args=(work[i::clients],)) for i in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(work), time.perf_counter() - start, latencies, statuses


def report_raw(det_times: list[float], rec_times: list[float], pipeline_times: list[float]) -> None:
    det = np.array(det_times) * 1000
    rec = np.array(rec_times) * 1000
    both = det + rec
    print(
        f"raw inference ({len(det)} runs): detector p50 {np.median(det):.1f} ms, "
        f"recogniser p50 {np.median(rec):.1f} ms; "
        f"det + rec p50 {np.median(both):.1f} ms, p95 {np.percentile(both, 95):.1f} ms; "
        f"det + 2 rec p50 {np.median(det + 2 * rec):.1f} ms"
    )
    pipe = np.array(pipeline_times) * 1000
    print(
        f"engine pipeline in-process, no Django ({len(pipe)} runs): p50 {np.median(pipe):.1f} ms, "
        f"p95 {np.percentile(pipe, 95):.1f} ms"
    )


if __name__ == "__main__":
    main()
