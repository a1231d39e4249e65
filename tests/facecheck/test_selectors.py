"""What a verification reads before analysing the photo (one place, three queries)."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.utils import timezone

from facecheck.models import FaceAttempt, FaceTemplate
from facecheck.selectors import verification_context
from tests.factories import PensionerFactory, pensioner_user

pytestmark = pytest.mark.django_db

MODEL = "mobilefacenet@0000000000000000"


def _attempts(
    pensioner, user, result: str, count: int, *, sha: str = "", age: datetime.timedelta = datetime.timedelta()
):  # type: ignore[no-untyped-def]
    now = timezone.now() - age
    FaceAttempt.objects.bulk_create(
        FaceAttempt(
            pensioner=pensioner,
            actor=user,
            method="face",
            result=result,
            image_sha256=sha or hashlib.sha256(f"{result}{i}".encode()).hexdigest(),
            created_at=now - datetime.timedelta(seconds=count - i),
        )
        for i in range(count)
    )


def _template(pensioner, *, model_id: str = MODEL, active: bool = True, sha: str = "t" * 64) -> FaceTemplate:  # type: ignore[no-untyped-def]
    return FaceTemplate.objects.create(
        pensioner=pensioner,
        kind="reference",
        model_id=model_id,
        embedding=b"\0" * 16,
        embedding_dim=4,
        photo_sha256=sha,
        photo_phash=0,
        face_phash=0,
        is_active=active,
        retired_at=None if active else timezone.now(),
    )


def test_refusals_by_the_limit_never_hide_todays_compared_attempts():
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    _attempts(pensioner, user, "rejected", 3)
    _attempts(pensioner, user, "limited", 30)  # newer than the compared ones, and more than `limit`
    context = verification_context(pensioner=pensioner, sha256="x" * 64, model_id=MODEL, limit=10)
    assert (context.compared_today, context.submitted_today) == (3, 3)


def test_yesterdays_attempts_do_not_count_today():
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    _attempts(pensioner, user, "rejected", 2, age=datetime.timedelta(days=1, hours=1))
    _attempts(pensioner, user, "refused", 1)
    context = verification_context(pensioner=pensioner, sha256="x" * 64, model_id=MODEL)
    assert (context.compared_today, context.submitted_today) == (0, 1)


def test_bytes_once_refused_by_the_limit_are_still_known_as_this_pensioners_photo():
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    _attempts(pensioner, user, "limited", 1, sha="a" * 64)
    context = verification_context(pensioner=pensioner, sha256="a" * 64, model_id=MODEL)
    assert "a" * 64 in {photo.sha256 for photo in context.own}
    assert not context.same_bytes_elsewhere


def test_the_same_bytes_for_another_pensioner_are_seen():
    pensioner, other = PensionerFactory(), PensionerFactory()
    _attempts(other, pensioner_user(other), "rejected", 1, sha="b" * 64)
    assert verification_context(pensioner=pensioner, sha256="b" * 64, model_id=MODEL).same_bytes_elsewhere


def test_another_pensioners_enrolled_photo_is_seen():
    pensioner, other = PensionerFactory(), PensionerFactory()
    _template(other, sha="c" * 64)
    context = verification_context(pensioner=pensioner, sha256="c" * 64, model_id=MODEL)
    assert context.same_bytes_elsewhere and context.templates == []


def test_only_active_templates_of_the_loaded_model_are_compared():
    pensioner = PensionerFactory()
    current = _template(pensioner)
    _template(pensioner, active=False, sha="r" * 64)
    context = verification_context(pensioner=pensioner, sha256="x" * 64, model_id=MODEL)
    assert context.templates == [current] and not context.other_model_templates
    assert {"t" * 64, "r" * 64} <= {photo.sha256 for photo in context.own}  # retired photos are still replays


def test_templates_of_another_model_are_reported_not_compared():
    pensioner = PensionerFactory()
    _template(pensioner, model_id="w600k_mbf@1111111111111111")
    context = verification_context(pensioner=pensioner, sha256="x" * 64, model_id=MODEL)
    assert context.templates == [] and context.other_model_templates
