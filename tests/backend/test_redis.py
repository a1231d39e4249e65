"""Redis as the production broker (django-q2) and cache, for real.

These run when the settings point at Redis (``Q_REDIS_URL``, ``CACHE_URL=redis://...``), as
``scripts/test.sh`` does when Redis answers at 127.0.0.1:6379 (always in CI); otherwise they are
skipped with the reason printed. The task round trip is the one django-q2's own tests use
(``django_q/tests/test_cluster.py``): enqueue through the broker, then the cluster's pusher, worker and
monitor in this process, so the task sees the test's database.
"""

from __future__ import annotations

import uuid
from multiprocessing import Event, Queue, Value

import pytest
from django.conf import settings
from django.core.cache import cache
from django_q.brokers import get_broker
from django_q.conf import Conf

pytestmark = pytest.mark.django_db


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


needs_redis_broker = pytest.mark.skipif(
    not (Conf.REDIS and _redis_answers(str(Conf.REDIS))),
    reason="django-q2 broker is not Redis (set Q_REDIS_URL to a live Redis; scripts/test.sh does when one answers)",
)
needs_redis_cache = pytest.mark.skipif(
    not (
        settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
        and _redis_answers(str(settings.CACHES["default"]["LOCATION"]))
    ),
    reason="the cache is not Redis (set CACHE_URL=redis://...; scripts/test.sh does when one answers)",
)


@pytest.fixture
def redis_queue(monkeypatch):  # type: ignore[no-untyped-def]
    """A real (asynchronous) Redis queue of its own, so a concurrent run or a live cluster is not disturbed."""
    import django_q.monitor
    import django_q.worker

    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(Conf, "CLUSTER_NAME", f"pension-test-{uuid.uuid4().hex[:12]}")
    # Worker and monitor run inside the test's transaction: they must not close its connection.
    monkeypatch.setattr(django_q.worker, "close_old_django_connections", lambda: None)
    monkeypatch.setattr(django_q.monitor, "close_old_django_connections", lambda: None)
    broker = get_broker()
    broker.delete_queue()
    yield broker
    broker.delete_queue()


def _run_cluster_once(broker) -> None:  # type: ignore[no-untyped-def]
    """What ``qcluster`` does for one batch: pull from Redis, run the task, save its result."""
    from django_q.monitor import monitor
    from django_q.pusher import pusher
    from django_q.worker import worker

    task_queue: Queue = Queue()
    result_queue: Queue = Queue()
    stop = Event()
    stop.set()  # one pass of the pusher's loop
    pusher(task_queue, stop, broker=broker)
    task_queue.put("STOP")
    worker(task_queue, result_queue, Value("f", -1))
    result_queue.put("STOP")
    monitor(result_queue, broker)


@needs_redis_broker
def test_a_task_goes_through_the_redis_broker_to_a_worker(redis_queue):
    from django_q.tasks import async_task, fetch

    task_id = async_task("math.copysign", 2, -1)
    assert redis_queue.queue_size() == 1
    _run_cluster_once(redis_queue)
    assert redis_queue.queue_size() == 0
    task = fetch(task_id)
    assert task is not None and task.success, task and task.result
    assert task.result == -2.0


@needs_redis_broker
def test_an_sms_is_queued_in_redis_only_after_its_transaction_commits(
    redis_queue, django_capture_on_commit_callbacks, sms_outbox
):
    from notifications.models import SmsOutbox
    from notifications.services import sms_send

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        row = sms_send(to="+8613900000001", text="test", reason=f"redis-test:{uuid.uuid4()}")
        assert redis_queue.queue_size() == 0
    for callback in callbacks:
        callback()
    assert redis_queue.queue_size() == 1
    _run_cluster_once(redis_queue)
    row.refresh_from_db()
    assert row.status == SmsOutbox.Status.SENT
    assert [message.to for message in sms_outbox] == ["+8613900000001"]


@needs_redis_cache
def test_the_cache_is_redis_and_shared_across_connections():
    import redis

    cache.set("redis-test-key", "value", 30)
    assert cache.get("redis-test-key") == "value"
    other = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    assert any(key.endswith(b"redis-test-key") for key in other.scan_iter("*redis-test-key"))


def test_the_login_throttle_counts_in_the_shared_cache(monkeypatch, api_client):
    """Runs on whichever cache is configured: locmem normally, Redis in scripts/test.sh's Redis run."""
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login_code": "2/min"})
    answers = [api_client.post("/api/v1/auth/code", {"phone": f"+861390000010{n}"}, format="json") for n in range(3)]
    assert all(a.status_code != 429 for a in answers[:2])
    assert answers[2].status_code == 429
    assert answers[2].json()["code"] == "too_many_requests"
    assert int(answers[2]["Retry-After"]) > 0
