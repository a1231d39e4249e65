"""Claim-once under real concurrency: several workers race for the same rows on PostgreSQL."""

from __future__ import annotations

import time
from collections import Counter

import pytest

from notifications.models import SmsOutbox
from notifications.services import sms_outbox_drain, sms_outbox_send
from notifications.sms import MemoryBackend, SmsMessage
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY


@pytest.fixture(autouse=True)
def _daytime(settings):  # type: ignore[no-untyped-def]
    settings.SMS_QUIET_HOURS_START = ""  # whatever the wall clock says when the suite runs


class SlowMemoryBackend(MemoryBackend):
    """Holds each send open a little, so racing workers overlap for real."""

    def send(self, message: SmsMessage) -> str:
        time.sleep(0.02)
        return super().send(message)


def run_in_threads(count: int, target) -> list:  # type: ignore[no-untyped-def]
    outcomes = run_together(*[target] * count)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    return [value for _kind, value in outcomes]


def make_rows(count: int) -> list[int]:
    SmsOutbox.objects.bulk_create(
        SmsOutbox(recipient=f"+86138{n:08d}", kind="notice", template="t", text=f"通知{n}", reason=f"race:{n}")
        for n in range(count)
    )
    return list(SmsOutbox.objects.order_by("pk").values_list("pk", flat=True))


def test_eight_workers_racing_for_one_row_send_it_exactly_once(sms_outbox):
    [row_id] = make_rows(1)
    outcomes = run_in_threads(8, lambda: sms_outbox_send(outbox_id=row_id, backend=SlowMemoryBackend()))
    assert Counter(outcomes) == {"sent": 1, "skipped": 7}
    assert [message.reason for message in sms_outbox] == ["race:0"]
    assert SmsOutbox.objects.get().attempts == 1


def test_concurrent_drains_share_the_rows_without_sending_any_twice(sms_outbox):
    make_rows(300)
    results = run_in_threads(4, lambda: sms_outbox_drain(backend=SlowMemoryBackend(), rate=0, budget_seconds=60))
    assert sum(result.sent for result in results) == 300
    reasons = Counter(message.reason for message in sms_outbox)
    assert len(reasons) == 300
    assert max(reasons.values()) == 1
    assert set(SmsOutbox.objects.values_list("status", flat=True)) == {"sent"}
    assert sum(1 for result in results if result.sent) > 1  # the work really was shared
