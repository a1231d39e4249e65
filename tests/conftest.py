"""Test-wide settings: in-memory SMS, synchronous django-q2, fast hashing, a fixed secret."""

from __future__ import annotations

import os

# Read by backend/settings.py at import time, so they must be set before Django starts.
os.environ.setdefault("SMS_BACKEND", "memory")
os.environ.setdefault("Q_SYNC", "True")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
os.environ.setdefault("THROTTLE_LOGIN_CODE", "10000/min")

import pytest  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from accounts.roles import Role  # noqa: E402


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings):  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
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
