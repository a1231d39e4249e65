"""The realistic mix for the load-and-fault test (run by bench/reliability/run.py, headless).

status 70 %, chatbot 15 %, face verify 5 %, reports 5 % (death reports 3 %, monthly village reports
2 %), login 5 %. Every 2xx answer that accepted something (a death report, a monthly report, a face
certification) is written to the receipts file, so the
run can check afterwards that each one is in the database. Like the app, a report whose answer was
lost (connection error or 5xx) is sent again with the same client_request_id, up to 5 times.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from locust import HttpUser, between, task

FIXTURE = json.loads(Path(os.environ["RELIABILITY_FIXTURE"]).read_text())
RECEIPTS = Path(os.environ["RELIABILITY_RECEIPTS"])
SMS_FILE = Path(os.environ["SMS_FILE_PATH"])
_lock = threading.Lock()
_reportable = list(FIXTURE["relatives"])  # [token, pensioner_id] each reported once
_faces = list(FIXTURE["faces"])  # [token, pensioner_id] each verified once (then certified)
_logins = list(FIXTURE["login_phones"])
_villages = list(FIXTURE["villages"])  # [assistant token, village_id] each reported once
_selfies = [p.read_bytes() for p in sorted(Path(FIXTURE["selfie_dir"]).glob("*.jpg"))]  # each used once
random.Random(1).shuffle(_reportable)
random.Random(2).shuffle(_faces)
random.Random(3).shuffle(_villages)
QUESTIONS = ["我下次什么时候认证", "怎么刷脸认证", "我的认证状态是什么", "养老金什么时候发", "子女能帮我认证吗"]


def receipt(record: dict) -> None:
    with _lock, RECEIPTS.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")


def pop(pool: list) -> Any:
    with _lock:
        return pool.pop() if pool else None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


class Pensioner(HttpUser):
    wait_time = between(0.5, 1.5)

    @task(70)
    def status(self) -> None:
        token = random.choice(FIXTURE["status_tokens"])
        self.client.get("/api/v1/certification/status", headers=bearer(token), name="status")

    @task(15)
    def chatbot(self) -> None:
        token = random.choice(FIXTURE["status_tokens"])
        self.client.post(
            "/api/v1/chatbot/messages",
            json={"text": random.choice(QUESTIONS), "request_id": str(uuid.uuid4())},
            headers=bearer(token),
            name="chatbot",
        )

    @task(5)
    def face_verify(self) -> None:
        person = pop(_faces)
        if person is None:
            return
        token, pensioner_id = person
        jpeg = pop(_selfies)
        if jpeg is None:
            return
        for attempt in range(5):
            with self.client.post(
                "/api/v1/facecheck/verify",
                files={"image": ("selfie.jpg", jpeg, "image/jpeg")},
                headers=bearer(token),
                name="face verify" if attempt == 0 else "face verify (retry)",
                catch_response=True,
            ) as response:
                if response.status_code == 200:
                    body = response.json()
                    if body.get("certification_id"):
                        receipt({"kind": "certification", "pensioner": pensioner_id, "id": body["certification_id"]})
                    response.success()
                    return
                if response.status_code and response.status_code < 500:
                    response.success()  # a refusal is an answer (e.g. a retry of a certified person)
                    return
                response.failure(f"status {response.status_code}")
            time.sleep(1)

    @task(3)
    def death_report(self) -> None:
        person = pop(_reportable)
        if person is None:
            return
        token, pensioner_id = person
        body = {
            "pensioner_id": pensioner_id,
            "date_of_death": "2026-11-20",
            "place": "家中",
            "client_request_id": str(uuid.uuid4()),
        }
        self._post_report("/api/v1/death-reports", body, token, kind="death_report", name="death report")

    @task(2)
    def monthly_report(self) -> None:
        """An assistant files last month's zero report for their village (sent again like a death report)."""
        village = pop(_villages)
        if village is None:
            return
        token, village_id = village
        body = {
            "village_id": village_id,
            "period": FIXTURE["report_period"],
            "is_zero": True,
            "items": [],
            "client_request_id": str(uuid.uuid4()),
        }
        self._post_report("/api/v1/monthly-reports", body, token, kind="monthly_report", name="monthly report")

    def _post_report(self, path: str, body: dict[str, Any], token: str, *, kind: str, name: str) -> None:
        """POST a report until a 2xx receipt, like a phone on a bad line; a fifth of clients send it again
        although the first answer arrived. Every 2xx is a receipt the fault check later looks for."""
        sends = 2 if random.random() < 0.2 else 1
        for attempt in range(5 + sends):
            with self.client.post(
                path,
                json=body,
                headers=bearer(token),
                name=name if attempt == 0 else f"{name} (retry)",
                catch_response=True,
            ) as response:
                if response.status_code in (200, 201):
                    receipt({"kind": kind, "rid": body["client_request_id"], "id": response.json()["id"]})
                    response.success()
                    sends -= 1
                    if sends == 0:
                        return
                    continue
                if response.status_code and response.status_code < 500:
                    response.failure(f"refused {response.status_code}")
                    return
                response.failure(f"status {response.status_code}")
            time.sleep(1)

    @task(5)
    def login(self) -> None:
        popped = pop(_logins)
        if popped is None:
            return
        phone = str(popped)
        with self.client.post("/api/v1/auth/code", json={"phone": phone}, name="login: code", catch_response=True) as r:
            if r.status_code != 202:
                r.failure(f"status {r.status_code}")
                return
        code = None
        deadline = time.monotonic() + 30
        while code is None and time.monotonic() < deadline:
            time.sleep(0.5)
            code = _code_for(phone)
        if code is None:
            return  # counted by the run from the outbox (login codes not delivered within 30 s)
        self.client.post("/api/v1/auth/login", json={"phone": phone, "code": code}, name="login: code → token")


def _code_for(phone: str) -> str | None:
    if not SMS_FILE.exists():
        return None
    found = None
    with SMS_FILE.open(encoding="utf-8") as handle:
        for line in handle:
            if phone in line:
                record = json.loads(line)
                if record.get("to") == phone:
                    match = re.search(r"(?<!\d)(\d{6})(?!\d)", record.get("text", ""))
                    if match:
                        found = match.group(1)
    return found
