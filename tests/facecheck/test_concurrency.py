"""Two selfies for one pensioner at the same moment (PostgreSQL, one thread each)."""

from __future__ import annotations

import time

import pytest

from accounts.models import Pensioner
from facecheck import dedup, services
from facecheck.engine.pipeline import FaceEngine
from facecheck.models import FaceAttempt
from selfservice.models import Certification
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


@pytest.fixture
def slow_analysis(monkeypatch):  # type: ignore[no-untyped-def]
    """Both requests pass the early limit check before either stores its attempt."""
    analyze = FaceEngine.analyze_bytes

    def slow(self, data):  # type: ignore[no-untyped-def]
        result = analyze(self, data)
        time.sleep(0.4)
        return result

    monkeypatch.setattr(FaceEngine, "analyze_bytes", slow)


def _verify(pensioner_id: int, user, photo: str):  # type: ignore[no-untyped-def]
    def call() -> str:
        outcome = services.face_verify(
            actor=user,
            pensioner=Pensioner.objects.get(pk=pensioner_id),
            image=(POWELL / photo).read_bytes(),
            method="face",
        )
        return outcome.attempt.result

    return call


def test_the_last_attempt_of_the_day_is_used_once(enrolled, settings, slow_analysis):
    pensioner, user = enrolled
    settings.FACECHECK_DAILY_ATTEMPTS = 1
    outcomes = run_together(
        _verify(pensioner.pk, user, "Colin_Powell_0040.jpg"), _verify(pensioner.pk, user, "Colin_Powell_0133.jpg")
    )
    # The second selfie waits for the first (one submission per pensioner at a time); by then the
    # person is certified today, so it is answered without spending anything.
    assert sorted(outcomes) == [("ok", "accepted"), ("refused", "already_certified")], outcomes
    assert FaceAttempt.objects.filter(result__in=FaceAttempt.COMPARED).count() == 1
    assert Certification.objects.filter(pensioner=pensioner).count() == 1


def test_two_accepted_selfies_at_once_certify_once_and_the_due_date_is_consistent(enrolled, slow_analysis):
    pensioner, user = enrolled
    outcomes = run_together(
        _verify(pensioner.pk, user, "Colin_Powell_0040.jpg"), _verify(pensioner.pk, user, "Colin_Powell_0133.jpg")
    )
    assert sorted(outcomes) == [("ok", "accepted"), ("refused", "already_certified")], outcomes
    certifications = list(Certification.objects.filter(pensioner=pensioner).order_by("certified_at"))
    assert len(certifications) == 1
    pensioner.refresh_from_db()
    assert pensioner.last_certification == certifications[-1]
    assert pensioner.next_due == max(c.valid_until for c in certifications)
