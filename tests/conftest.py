"""Shared fixtures. Settings for tests are backend/settings_test.py."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    cache.clear()
    from notifications.sms import MemoryBackend

    MemoryBackend.outbox.clear()
    yield
    MemoryBackend.outbox.clear()


@pytest.fixture
def sms_outbox():  # type: ignore[no-untyped-def]
    from notifications.sms import MemoryBackend

    return MemoryBackend.outbox


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    """An API client authenticated with a real knox token, as the app would be."""
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def roles():  # type: ignore[no-untyped-def]
    return Role


TWILIO_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://pension.example.gov.cn"


@pytest.fixture
def sms_test_settings(settings):  # type: ignore[no-untyped-def]
    """Unlimited rate, explicit quiet hours, a known twilio token, Chinese texts."""
    settings.SMS_BACKEND = "memory"
    settings.SMS_RATE_PER_SECOND = 0
    settings.SMS_QUIET_HOURS_START = "21:00"
    settings.SMS_QUIET_HOURS_END = "08:00"
    settings.SMS_QUIET_HOURS_TZ = "Asia/Shanghai"
    settings.SMS_REMINDER_STAGES = [30, 7, 1]
    settings.OVERDUE_GRACE_DAYS = 30
    settings.SMS_SIGNATURE = "【人社局】"
    settings.SERVICE_HOTLINE = "12333"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.TWILIO_MESSAGING_SERVICE_SID = "MG" + "1" * 32
    settings.TWILIO_FROM = ""
    settings.PUBLIC_BASE_URL = PUBLIC_BASE_URL
    from notifications.sms import MemoryBackend

    MemoryBackend.failures.clear()
    yield
    MemoryBackend.failures.clear()
