"""`make demo` is repeatable: a rerun on a later day leaves the README's face step and staff logins working."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from accounts.lookups import phone_index
from accounts.models import Pensioner, User
from facecheck.demo import DEMO_FACE_DIR  # imported before a test moves BASE_DIR
from facecheck.models import FaceAttempt
from facecheck.services import face_verify
from tests.factories import pensioner_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _private_dirs(settings, tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BASE_DIR = tmp_path  # var/demo-password goes there, not into the working tree
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    from facecheck import dedup

    dedup.reset()


@pytest.fixture
def demo_ready(settings):  # type: ignore[no-untyped-def]
    for needed in (DEMO_FACE_DIR, settings.FACECHECK_MODEL_DIR):
        if not Path(needed).exists():
            pytest.skip(f"{needed} not available")
    return DEMO_FACE_DIR / "cn_chenxing_02.jpg"


def _readme_face_step(photo: Path) -> str:
    pensioner = Pensioner.objects.get(phone_bidx=phone_index("+8613800000001"))
    user = pensioner.user or pensioner_user(pensioner)
    outcome = face_verify(actor=user, pensioner=pensioner, image=photo.read_bytes(), method="face")
    return outcome.attempt.result


def test_a_rerun_on_a_later_day_does_not_make_the_readme_photo_a_replay(demo_ready):
    now = timezone.now()
    with time_machine.travel(now - datetime.timedelta(days=2), tick=True):
        call_command("seed_demo", pensioners=20)
        assert _readme_face_step(demo_ready) == "accepted"
    call_command("seed_demo", pensioners=20)
    assert _readme_face_step(demo_ready) == "accepted"
    assert FaceAttempt.objects.count() == 1  # the earlier run's attempt was forgotten


def test_a_rerun_keeps_the_staff_password(settings, capsys):
    call_command("seed_demo", pensioners=20, face_photo="")
    password = (Path(settings.BASE_DIR) / "var" / "demo-password").read_text().strip()
    assert f"password for all: {password}" in capsys.readouterr().out
    call_command("seed_demo", pensioners=20, face_photo="")
    assert f"password for all: {password}" in capsys.readouterr().out
    assert User.objects.get(username="admin").check_password(password)
