"""Notifications tests run with the shared SMS settings (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN

__all__ = ["PUBLIC_BASE_URL", "TWILIO_TOKEN"]


@pytest.fixture(autouse=True)
def _notification_settings(sms_test_settings):  # type: ignore[no-untyped-def]
    return
