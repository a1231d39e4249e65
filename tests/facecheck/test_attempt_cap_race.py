"""Many selfies for one pensioner at the same moment cannot pass the daily caps (PostgreSQL)."""

from __future__ import annotations

import pytest

from accounts.models import Pensioner
from facecheck import dedup, services
from facecheck.models import FaceAttempt
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.factories import PensionerFactory, pensioner_user

from .images import LFW

pytestmark = [*POSTGRES_ONLY, pytest.mark.slow]

POWELL = LFW / "images" / "Colin_Powell"


@pytest.fixture
def enrolled(engine, lfw, settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    dedup.reset()
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    services.face_template_enroll(
        pensioner=pensioner, image=(POWELL / "Colin_Powell_0001.jpg").read_bytes(), enrolled_by=None
    )
    return pensioner, user


def _submit(pensioner_id: int, user, image: bytes):  # type: ignore[no-untyped-def]
    def call() -> str:
        outcome = services.face_verify(
            actor=user, pensioner=Pensioner.objects.get(pk=pensioner_id), image=image, method="face"
        )
        return outcome.attempt.result

    return call


def test_simultaneous_unusable_photos_do_not_pass_the_daily_submission_cap(enrolled, settings):
    pensioner, user = enrolled
    settings.FACECHECK_DAILY_SUBMISSIONS = 3
    calls = [_submit(pensioner.pk, user, b"not a photo %d" % n) for n in range(10)]
    outcomes = run_together(*calls)
    assert sorted({value for _kind, value in outcomes}) == ["face_attempts_exhausted", "image_invalid"], outcomes
    assert FaceAttempt.objects.filter(pensioner=pensioner).exclude(result="limited").count() == 3


def test_simultaneous_selfies_do_not_pass_the_daily_attempt_cap(enrolled, settings):
    pensioner, user = enrolled
    settings.FACECHECK_DAILY_ATTEMPTS = 2
    # Someone else's photos: compared and rejected, so no certification ends the day early.
    other = LFW / "images" / "Abdullah_Gul"
    photos = sorted(other.iterdir())[:4]
    outcomes = run_together(*[_submit(pensioner.pk, user, p.read_bytes()) for p in photos])
    assert sum(kind == "ok" for kind, _value in outcomes) == 2, outcomes
    assert FaceAttempt.objects.filter(pensioner=pensioner, result__in=FaceAttempt.COMPARED).count() == 2
