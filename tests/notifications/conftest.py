"""Notifications tests: unlimited rate, explicit quiet hours, a known twilio token, Chinese texts."""

from __future__ import annotations

import pytest

TWILIO_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://pension.example.gov.cn"


@pytest.fixture(autouse=True)
def _notification_settings(settings):  # type: ignore[no-untyped-def]
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
