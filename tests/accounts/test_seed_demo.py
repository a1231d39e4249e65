from pathlib import Path

import pytest
from django.core.management import call_command

from accounts.lookups import phone_index
from accounts.models import Pensioner, User
from facecheck.models import FaceTemplate
from selfservice.selectors import certification_status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"  # the demo pensioner's reference photo is stored there


def test_seed_demo_is_idempotent_and_covers_every_state(capsys):
    call_command("seed_demo", pensioners=60)
    first = (Pensioner.objects.count(), User.objects.count())
    call_command("seed_demo", pensioners=60)
    assert (Pensioner.objects.count(), User.objects.count()) == first == (60, first[1])
    states = {certification_status(pensioner=p).state for p in Pensioner.objects.select_related("last_certification")}
    assert states == {"certified", "due_soon", "overdue", "suspended", "deceased"}
    assert "13800000001" in capsys.readouterr().out


def test_the_demo_pensioner_can_try_face_certification_at_once(capsys, settings):
    from facecheck.demo import DEMO_FACE_DIR

    for needed in (DEMO_FACE_DIR, settings.FACECHECK_MODEL_DIR):  # as tests/facecheck: skipped only if absent
        if not Path(needed).exists():
            pytest.skip(f"{needed} not available")
    call_command("seed_demo", pensioners=20)
    call_command("seed_demo", pensioners=20)
    pensioner = Pensioner.objects.get(phone_bidx=phone_index("+8613800000001"))
    assert FaceTemplate.objects.filter(pensioner=pensioner, is_active=True).count() == 1  # once, not per run
    assert "cn_chenxing_02.jpg" in capsys.readouterr().out


def test_seed_demo_without_a_photo_says_why(capsys):
    call_command("seed_demo", pensioners=20, face_photo="/nonexistent/photo.jpg")
    assert not FaceTemplate.objects.exists()
    assert "not found: /nonexistent/photo.jpg" in capsys.readouterr().out
