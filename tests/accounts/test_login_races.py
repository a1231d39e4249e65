"""Login-code limits under simultaneous requests (PostgreSQL, one thread per caller)."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from accounts.models import OneTimeCode
from accounts.services import login_code_request
from backend.lookups import phone_index
from tests.concurrency import POSTGRES_ONLY, run_together

pytestmark = POSTGRES_ONLY
E164 = "+8613800138000"


def _noon_today() -> datetime.datetime:
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def _request():  # type: ignore[no-untyped-def]
    return login_code_request(phone=E164)


def test_twenty_simultaneous_requests_send_one_code(sms_outbox):
    with time_machine.travel(_noon_today()):
        outcomes = run_together(*[_request] * 20)
    assert sum(kind == "ok" for kind, _value in outcomes) == 1, outcomes
    assert {value for kind, value in outcomes if kind != "ok"} == {"code_resend_too_soon"}, outcomes
    assert OneTimeCode.objects.filter(phone_bidx=phone_index(E164)).count() == 1


def test_the_daily_cap_holds_under_simultaneous_requests(settings, sms_outbox):
    settings.LOGIN_CODE_RESEND_SECONDS = 0  # only the cap stands between the requests
    noon = _noon_today()
    for minutes in range(9):
        OneTimeCode.objects.create(
            phone=E164,
            purpose=OneTimeCode.Purpose.LOGIN,
            code_hash="0" * 64,
            created_at=noon - datetime.timedelta(minutes=2 * (minutes + 1)),
            expires_at=noon,
        )
    with time_machine.travel(noon):
        outcomes = run_together(*[_request] * 20)
    assert sum(kind == "ok" for kind, _value in outcomes) == 1, outcomes
    assert OneTimeCode.objects.filter(phone_bidx=phone_index(E164)).count() == 10
