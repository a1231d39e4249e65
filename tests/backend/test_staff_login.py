"""Staff sign-in: lockout after wrong passwords (django-axes) and a TOTP second factor (django-otp)."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.roles import Role
from backend import crypto
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"


@pytest.fixture
def staff():  # type: ignore[no-untyped-def]
    user = StaffFactory(is_superuser=True, roles=[Role.ADMIN], phone="+8613700137000")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, username: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password, **extra})


def signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/admin/").status_code == 200


def current_token(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"


def test_the_right_password_after_five_wrong_ones_does_not_open_the_admin(client, staff):
    for _ in range(5):
        sign_in(client, staff.username, "wrong password")
    response = sign_in(client, staff.username, PASSWORD)
    assert response.status_code == 429
    assert response.json()["code"] == "account_locked"
    assert "锁定" in response.json()["message"]
    assert not signed_in(client)


def test_a_lockout_is_per_account_and_address(client, staff):
    for _ in range(5):
        sign_in(client, staff.username, "wrong password")
    other = StaffFactory(roles=[Role.ADMIN])
    other.set_password(PASSWORD)
    other.save()
    assert sign_in(client, other.username, PASSWORD).status_code == 302


def test_without_the_second_factor_setting_a_password_is_enough(client, staff, settings):
    settings.STAFF_OTP_REQUIRED = False
    assert sign_in(client, staff.username, PASSWORD).status_code == 302
    assert signed_in(client)


def test_with_the_second_factor_required_a_password_alone_does_not_open_the_admin(client, staff, settings):
    settings.STAFF_OTP_REQUIRED = True
    TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    sign_in(client, staff.username, PASSWORD)
    assert not signed_in(client)


def test_with_the_second_factor_required_password_and_totp_code_open_the_admin(client, staff, settings):
    settings.STAFF_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = sign_in(
        client, staff.username, PASSWORD, otp_device=device.persistent_id, otp_token=current_token(device)
    )
    assert response.status_code == 302
    assert signed_in(client)


def test_an_unverified_staff_session_is_not_staff_for_the_api(client, staff, settings):
    client.force_login(staff)
    assert client.get("/api/v1/me").status_code == 200
    settings.STAFF_OTP_REQUIRED = True
    assert client.get("/api/v1/me").status_code == 401


def _sms_login(api_client, sms_outbox, phone: str, **extra: str):  # type: ignore[no-untyped-def]
    api_client.post("/api/v1/auth/code", {"phone": phone}, format="json")
    found = re.search(r"\d{6}", sms_outbox[-1].text)
    assert found is not None
    code = found.group(0)
    return api_client.post("/api/v1/auth/login", {"phone": phone, "code": code, **extra}, format="json")


def test_staff_logging_in_to_the_api_by_sms_also_need_the_totp_code(api_client, staff, settings, sms_outbox):
    settings.STAFF_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    response = _sms_login(api_client, sms_outbox, "13700137000")
    assert response.status_code == 401
    assert response.json()["code"] == "otp_required"
    settings.LOGIN_CODE_RESEND_SECONDS = 0
    response = _sms_login(api_client, sms_outbox, "13700137000", otp_token=current_token(device))
    assert response.status_code == 200


def test_a_wrong_totp_code_is_refused(api_client, staff, settings, sms_outbox):
    settings.STAFF_OTP_REQUIRED = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    wrong = "000000" if current_token(device) != "000000" else "111111"
    response = _sms_login(api_client, sms_outbox, "13700137000", otp_token=wrong)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_invalid"


def test_pensioners_never_need_a_totp_code(api_client, settings, sms_outbox):
    settings.STAFF_OTP_REQUIRED = True
    assert _sms_login(api_client, sms_outbox, "13800138000").status_code == 200


def test_the_enrolment_command_prints_an_authenticator_url(staff):
    out = io.StringIO()
    call_command("staff_totp_add", staff.username, stdout=out)
    assert out.getvalue().startswith("otpauth://totp/")
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1


def test_production_settings_require_the_second_factor():
    code = "import django; django.setup(); from django.conf import settings; print(settings.STAFF_OTP_REQUIRED)"
    env = {"DEBUG": "False", "SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "backend.settings", "PATH": ""}
    env |= {"FIELD_ENCRYPTION_KEYS": crypto.new_key(), "FIELD_BLIND_INDEX_KEY": crypto.new_key()}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.stdout.strip().endswith("True"), result.stderr
