"""Nobody can lock a phone out of login by asking for codes it never wanted."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from accounts.models import RelativeLink
from accounts.services import login_code_request, relative_link_request
from tests.factories import PensionerFactory, UserFactory

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
E164 = "+8613800138000"


@pytest.fixture
def noon():  # type: ignore[no-untyped-def]
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def ask(api_client, at, ip: str, phone: str = PHONE, device_key: str | None = None):  # type: ignore[no-untyped-def]
    body = {"phone": phone} | ({"device_key": device_key} if device_key else {})
    with time_machine.travel(at, tick=False):
        return api_client.post("/api/v1/auth/code", body, format="json", REMOTE_ADDR=ip)


def minutes(start, n: int):  # type: ignore[no-untyped-def]
    return start + datetime.timedelta(minutes=n)


def test_one_client_using_up_its_codes_does_not_lock_out_another(api_client, settings, noon):
    settings.LOGIN_CODE_DAILY_LIMIT = 3
    for n in range(3):
        assert ask(api_client, minutes(noon, 2 * n), "6.6.6.6").status_code == 202
    assert ask(api_client, minutes(noon, 10), "6.6.6.6").json()["code"] == "code_daily_limit"
    assert ask(api_client, minutes(noon, 11), "7.7.7.7").status_code == 202


def test_refused_requests_do_not_spend_the_phones_budget(api_client, settings, noon):
    settings.LOGIN_CODE_DAILY_LIMIT = 2
    settings.LOGIN_CODE_PHONE_DAILY_LIMIT = 3
    for n in range(6):
        ask(api_client, minutes(noon, 2 * n), "6.6.6.6")
    assert ask(api_client, minutes(noon, 20), "7.7.7.7").status_code == 202


def test_the_phone_wide_cap_bounds_codes_from_many_clients(api_client, settings, noon):
    settings.LOGIN_CODE_PHONE_DAILY_LIMIT = 3
    for n in range(3):
        assert ask(api_client, minutes(noon, n), f"6.6.6.{n}").status_code == 202
    assert ask(api_client, minutes(noon, 5), "6.6.6.9").json()["code"] == "code_daily_limit"


def _device_key(api_client, sms_outbox, at) -> str:  # type: ignore[no-untyped-def]
    ask(api_client, at, "7.7.7.7")
    found = re.search(r"\d{6}", sms_outbox[-1].text)
    assert found is not None
    code = found.group(0)
    with time_machine.travel(at, tick=False):
        response = api_client.post("/api/v1/auth/login", {"phone": PHONE, "code": code}, format="json")
    return response.json()["device_key"]


def test_a_phone_that_logged_in_before_gets_a_code_after_strangers_used_up_the_cap(
    api_client, settings, noon, sms_outbox
):
    device_key = _device_key(api_client, sms_outbox, noon - datetime.timedelta(days=1))
    settings.LOGIN_CODE_PHONE_DAILY_LIMIT = 2
    for n in range(2):
        assert ask(api_client, minutes(noon, n), f"6.6.6.{n}").status_code == 202
    assert ask(api_client, minutes(noon, 3), "7.7.7.7").json()["code"] == "code_daily_limit"
    assert ask(api_client, minutes(noon, 4), "7.7.7.7", device_key=device_key).status_code == 202


def test_a_device_key_works_only_for_its_own_phone(api_client, settings, noon, sms_outbox):
    device_key = _device_key(api_client, sms_outbox, noon - datetime.timedelta(days=1))
    settings.LOGIN_CODE_PHONE_DAILY_LIMIT = 1
    other = "13900139000"
    assert ask(api_client, noon, "6.6.6.6", phone=other).status_code == 202
    response = ask(api_client, minutes(noon, 2), "7.7.7.7", phone=other, device_key=device_key)
    assert response.json()["code"] == "code_daily_limit"


def test_a_relatives_request_is_not_blocked_by_the_pensioners_own_login_code(sms_outbox):
    pensioner = PensionerFactory(phone=E164)
    login_code_request(phone=E164)
    link = relative_link_request(
        relative=UserFactory(), id_number=pensioner.id_number, name=pensioner.name, relationship="child"
    )
    assert link.status == RelativeLink.Status.PENDING
    assert [m.to for m in sms_outbox] == [E164, E164]
