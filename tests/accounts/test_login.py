import datetime
import re

import pytest
import time_machine
from django.utils import timezone
from knox.models import AuthToken

from accounts.lookups import phone_index
from accounts.models import OneTimeCode, User
from tests.conftest import client_for
from tests.factories import PensionerFactory, UserFactory

pytestmark = pytest.mark.django_db
PHONE = "13800138000"
E164 = "+8613800138000"


def request_code(api_client, phone=PHONE):
    return api_client.post("/api/v1/auth/code", {"phone": phone}, format="json")


def last_code(sms_outbox) -> str:
    return re.search(r"\d{6}", sms_outbox[-1].text).group(0)


def login(api_client, code, phone=PHONE):
    return api_client.post("/api/v1/auth/login", {"phone": phone, "code": code}, format="json")


def test_a_code_is_sent_to_the_phone_in_chinese(api_client, sms_outbox):
    response = request_code(api_client)
    assert response.status_code == 202
    assert sms_outbox[-1].to == E164
    assert "验证码" in sms_outbox[-1].text


def test_the_code_is_stored_hashed_not_in_clear(api_client, sms_outbox):
    request_code(api_client)
    stored = OneTimeCode.objects.get()
    assert last_code(sms_outbox) not in stored.code_hash
    assert len(stored.code_hash) == 64


def test_a_correct_code_returns_a_device_token_that_authenticates(api_client, sms_outbox):
    request_code(api_client)
    response = login(api_client, last_code(sms_outbox))
    assert response.status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['token']}")
    assert api_client.get("/api/v1/me").status_code == 200


def test_tokens_are_hashed_at_rest(api_client, sms_outbox):
    request_code(api_client)
    token = login(api_client, last_code(sms_outbox)).json()["token"]
    assert not AuthToken.objects.filter(digest=token).exists()
    assert token not in str(list(AuthToken.objects.values_list("digest", flat=True)))


def test_a_pensioner_logging_in_is_linked_to_their_registry_row(api_client, sms_outbox):
    pensioner = PensionerFactory(phone=E164)
    request_code(api_client)
    body = login(api_client, last_code(sms_outbox)).json()
    pensioner.refresh_from_db()
    assert pensioner.user_id == body["user_id"]
    assert body["roles"] == ["pensioner"]


def test_an_unknown_phone_becomes_a_relative_account(api_client, sms_outbox):
    request_code(api_client)
    assert login(api_client, last_code(sms_outbox)).json()["roles"] == ["relative"]


def test_an_invalid_phone_is_refused_with_a_field_error(api_client):
    response = request_code(api_client, phone="12345")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]


def test_a_wrong_code_counts_down_the_tries(api_client, sms_outbox):
    request_code(api_client)
    wrong = "000000" if last_code(sms_outbox) != "000000" else "111111"
    response = login(api_client, wrong)
    assert response.status_code == 400
    assert response.json()["code"] == "code_invalid"
    assert response.json()["attempts_left"] == 4


def test_after_five_wrong_tries_even_the_right_code_is_refused(api_client, sms_outbox):
    request_code(api_client)
    right = last_code(sms_outbox)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        login(api_client, wrong)
    response = login(api_client, right)
    assert response.status_code == 429
    assert response.json()["code"] == "code_attempts_exceeded"


def test_a_code_expires_after_five_minutes(api_client, sms_outbox):
    request_code(api_client)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=301)):
        response = login(api_client, last_code(sms_outbox))
    assert response.json()["code"] == "code_expired"


def test_a_code_works_only_once(api_client, sms_outbox):
    request_code(api_client)
    code = last_code(sms_outbox)
    assert login(api_client, code).status_code == 200
    assert login(api_client, code).json()["code"] == "code_expired"


def test_a_new_code_cannot_be_requested_within_60_seconds(api_client):
    request_code(api_client)
    response = request_code(api_client)
    assert response.status_code == 429
    assert response.json()["code"] == "code_resend_too_soon"
    assert 0 < response.json()["retry_after"] <= 60


def test_a_new_code_can_be_requested_after_60_seconds(api_client):
    request_code(api_client)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        assert request_code(api_client).status_code == 202


def test_the_daily_cap_per_phone_is_enforced(api_client, settings):
    settings.LOGIN_CODE_DAILY_LIMIT = 3
    start = timezone.localtime().replace(hour=9, minute=0)
    for minute in range(3):
        with time_machine.travel(start + datetime.timedelta(minutes=2 * minute), tick=False):
            assert request_code(api_client).status_code == 202
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        response = request_code(api_client)
    assert response.json()["code"] == "code_daily_limit"


def test_logging_out_one_device_keeps_the_others(api_client):
    user = UserFactory()
    phone_a, phone_b = client_for(user), client_for(user)
    assert phone_a.delete("/api/v1/auth/devices/current").status_code == 204
    assert phone_a.get("/api/v1/me").status_code == 401
    assert phone_b.get("/api/v1/me").status_code == 200


def test_a_lost_phone_can_be_cut_off_from_another_device():
    user = UserFactory()
    lost, kept = client_for(user), client_for(user)
    devices = kept.get("/api/v1/auth/devices").json()
    lost_key = next(d["token_key"] for d in devices if not d["current"])
    assert kept.delete(f"/api/v1/auth/devices/{lost_key}").status_code == 204
    assert lost.get("/api/v1/me").status_code == 401
    assert kept.get("/api/v1/me").status_code == 200


def test_logout_all_cuts_off_every_device():
    user = UserFactory()
    first, second = client_for(user), client_for(user)
    assert first.post("/api/v1/auth/logout-all").json()["revoked"] == 2
    assert second.get("/api/v1/me").status_code == 401


def test_revoking_someone_elses_token_is_not_found():
    owner, other = UserFactory(), UserFactory()
    client_for(owner)
    key = AuthToken.objects.get(user=owner).token_key
    assert client_for(other).delete(f"/api/v1/auth/devices/{key}").status_code == 404
    assert AuthToken.objects.filter(user=owner).exists()


def test_an_unauthenticated_request_gets_the_error_shape(api_client):
    response = api_client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]


def test_users_are_created_once_per_phone(api_client, sms_outbox):
    request_code(api_client)
    login(api_client, last_code(sms_outbox))
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=61)):
        request_code(api_client)
        login(api_client, last_code(sms_outbox))
    assert User.objects.filter(phone_bidx=phone_index(E164)).count() == 1


def test_beyond_the_device_limit_the_oldest_device_is_logged_out(api_client, sms_outbox, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    tokens = []
    for step in range(3):
        with time_machine.travel(timezone.now() + datetime.timedelta(minutes=2 * step)):
            request_code(api_client)
            tokens.append(login(api_client, last_code(sms_outbox)).json()["token"])
    assert AuthToken.objects.count() == 2
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[0]}")
    assert api_client.get("/api/v1/me").status_code == 401
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens[2]}")
    assert api_client.get("/api/v1/me").status_code == 200


def test_an_expired_token_is_refused_and_deleted():
    user = UserFactory()
    client = client_for(user)
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/api/v1/me").status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_the_daily_purge_deletes_only_expired_tokens():
    from accounts.tasks import tokens_expired_purge

    user = UserFactory()
    client_for(user)
    client_for(user)
    AuthToken.objects.filter(pk=AuthToken.objects.filter(user=user).first().pk).update(
        expiry=timezone.now() - datetime.timedelta(days=1)
    )
    assert tokens_expired_purge() == 1
    assert AuthToken.objects.filter(user=user).count() == 1
