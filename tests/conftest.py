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
