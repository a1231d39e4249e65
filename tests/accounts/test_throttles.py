"""The login throttle counts real clients: a forged X-Forwarded-For does not buy a fresh budget."""

import pytest
from django.core.checks import Warning as CheckWarning
from rest_framework.throttling import ScopedRateThrottle

from backend.api.clients import client_ip
from backend.checks import shared_cache_check

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_per_minute(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login_code", "2/min")


def _ask(api_client, phone: str, forwarded: str):  # type: ignore[no-untyped-def]
    return api_client.post("/api/v1/auth/code", {"phone": phone}, format="json", HTTP_X_FORWARDED_FOR=forwarded)


def test_a_random_forwarded_for_header_does_not_reset_the_throttle(api_client, two_per_minute):
    assert _ask(api_client, "13800138001", "1.1.1.1").status_code == 202
    assert _ask(api_client, "13800138002", "2.2.2.2").status_code == 202
    response = _ask(api_client, "13800138003", "3.3.3.3")
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_requests"


def test_behind_one_proxy_clients_are_told_apart_by_the_address_the_proxy_saw(api_client, two_per_minute, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    for phone in ("13800138001", "13800138002"):
        assert _ask(api_client, phone, "forged, 1.1.1.1").status_code == 202
    assert _ask(api_client, "13800138003", "forged, 2.2.2.2").status_code == 202
    assert _ask(api_client, "13800138004", "other, 1.1.1.1").status_code == 429


def test_the_audit_client_ip_follows_the_same_rule(rf, settings):
    request = rf.get("/", HTTP_X_FORWARDED_FOR="9.9.9.9, 8.8.8.8", REMOTE_ADDR="10.0.0.1")
    assert client_ip(request) == "10.0.0.1"
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    assert client_ip(request) == "8.8.8.8"


def test_production_without_a_shared_cache_is_flagged(settings):
    settings.DEBUG = False
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert [type(m) for m in shared_cache_check(None)] == [CheckWarning]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://x"}}
    assert shared_cache_check(None) == []


def test_one_client_cannot_send_codes_to_any_number_of_phones_in_a_day(api_client, monkeypatch):
    from accounts.apis import ClientDailyThrottle

    monkeypatch.setattr(ClientDailyThrottle, "THROTTLE_RATES", {"login_code_daily": "2/day"})
    assert _ask(api_client, "13800138001", "").status_code == 202
    assert _ask(api_client, "13800138002", "").status_code == 202
    assert _ask(api_client, "13800138003", "").status_code == 429
