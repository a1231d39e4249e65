"""What facecheck registers with casework: the reviewed attempt, the certification link back to it."""

import datetime

import pytest
from django.utils import timezone

from casework import hooks, services
from casework.models import Case
from facecheck.models import FaceAttempt
from tests.casework.factories import caseworker, reviewer
from tests.factories import PensionerFactory, pensioner_user

pytestmark = pytest.mark.django_db


def review(pensioner, **kwargs):  # type: ignore[no-untyped-def]
    attempt = FaceAttempt.objects.create(
        pensioner=pensioner,
        actor=pensioner.user or pensioner_user(pensioner),
        method="face",
        result="review",
        created_at=timezone.now() - datetime.timedelta(hours=2),
        **kwargs,
    )
    case = services.case_open(
        pensioner=pensioner,
        category=Case.Category.FACE_REVIEW,
        source=Case.Source.FACE_CHECK,
        details={"attempt": str(attempt.public_id), "method": "face"},
    )
    return attempt, case


def test_the_reviewed_attempt_is_found_from_the_case_details_too():
    attempt, case = review(PensionerFactory())  # attempt.case not set: found by its public id
    found = hooks.face_review_attempt(case)
    assert (found.method, found.attempted_at) == ("face", attempt.created_at)
    assert found.evidence_ref == f"facecheck.attempt:{attempt.public_id}"


def test_approval_links_the_attempt_to_its_certification():
    attempt, case = review(PensionerFactory())
    services.case_accept(case=case, actor=caseworker())
    services.case_approve(case=case, actor=reviewer())
    attempt.refresh_from_db()
    assert attempt.certification is not None
    assert attempt.certification.certified_at == attempt.created_at


def test_a_case_without_an_attempt_cannot_certify():
    pensioner = PensionerFactory()
    case = services.case_open(pensioner=pensioner, category=Case.Category.FACE_REVIEW, source=Case.Source.FACE_CHECK)
    services.case_accept(case=case, actor=caseworker())
    from backend.api.errors import ConflictError

    with pytest.raises(ConflictError) as exc:
        services.case_approve(case=case, actor=reviewer())
    assert exc.value.code == "face_attempt_unknown"
