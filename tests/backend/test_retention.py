"""Retention: selfies and evidence are deleted once they are no longer needed (daily jobs)."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from casework import services
from casework.models import Case, EvidenceFile
from casework.retention import evidence_expired_purge
from facecheck.models import FaceAttempt, FaceTemplate
from facecheck.retention import selfies_expired_purge
from tests.casework.factories import CaseFactory, case_in, evidence_for
from tests.factories import PensionerFactory, pensioner_user

pytestmark = pytest.mark.django_db
LONG_AGO = timezone.now() - datetime.timedelta(days=400)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path
    settings.FACECHECK_SELFIE_RETENTION_DAYS = 90
    settings.CASEWORK_EVIDENCE_RETENTION_DAYS = 365


def selfie(*, created_at: datetime.datetime, case: Case | None = None, pensioner=None) -> FaceAttempt:  # type: ignore[no-untyped-def]
    pensioner = pensioner or PensionerFactory()
    attempt = FaceAttempt(
        pensioner=pensioner,
        actor=pensioner.user or pensioner_user(pensioner),
        method="face",
        result="review" if case else "replay",
        created_at=created_at,
        case=case,
    )
    attempt.photo.save("face.jpg", ContentFile(b"jpeg bytes"), save=False)
    attempt.save()
    return attempt


def file_exists(field_file) -> bool:  # type: ignore[no-untyped-def]
    return field_file.storage.exists(field_file.name)


def test_an_old_selfie_is_deleted_and_the_attempt_kept():
    attempt = selfie(created_at=LONG_AGO)
    name = attempt.photo.name
    assert selfies_expired_purge() == 1
    attempt.refresh_from_db()
    assert attempt.photo.name == ""
    assert not attempt.photo.storage.exists(name)


def test_a_recent_selfie_is_kept():
    attempt = selfie(created_at=timezone.now() - datetime.timedelta(days=10))
    assert selfies_expired_purge() == 0
    assert file_exists(attempt.photo)


def test_a_selfie_under_review_is_kept_until_the_case_is_decided():
    case, maker, checker = case_in(Case.Status.OPEN)
    attempt = selfie(created_at=LONG_AGO, case=case)
    assert selfies_expired_purge() == 0
    assert file_exists(attempt.photo)
    case = services.case_accept(case=case, actor=maker)
    services.case_approve(case=case, actor=checker, checks_confirmed=True)
    assert selfies_expired_purge() == 1


def test_a_selfie_kept_as_an_ageing_template_is_kept():
    attempt = selfie(created_at=LONG_AGO)
    FaceTemplate.objects.create(
        pensioner=attempt.pensioner,
        kind=FaceTemplate.Kind.AGEING,
        source=FaceTemplate.Source.SELFIE,
        model_id="m",
        embedding=b"\x00" * 8,
        embedding_dim=2,
        photo=attempt.photo.name,
        photo_sha256="0" * 64,
        photo_phash=0,
        face_phash=0,
        attempt=attempt,
    )
    assert selfies_expired_purge() == 0
    assert file_exists(attempt.photo)


def _closed_case_with_evidence(closed_at: datetime.datetime):  # type: ignore[no-untyped-def]
    case, maker, _checker = case_in(Case.Status.CLOSED)
    evidence = evidence_for(maker)
    case.evidence.add(evidence)
    Case.objects.filter(pk=case.pk).update(closed_at=closed_at)
    return case, evidence


def test_evidence_is_deleted_a_legal_period_after_its_case_closed():
    _case, evidence = _closed_case_with_evidence(LONG_AGO)
    name = evidence.file.name
    assert evidence_expired_purge() == 1
    assert not EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert not evidence.file.storage.exists(name)


def test_evidence_of_a_recently_closed_case_is_kept():
    _case, evidence = _closed_case_with_evidence(timezone.now() - datetime.timedelta(days=30))
    assert evidence_expired_purge() == 0
    assert file_exists(evidence.file)


def test_evidence_also_on_an_open_case_is_kept():
    _case, evidence = _closed_case_with_evidence(LONG_AGO)
    CaseFactory().evidence.add(evidence)
    assert evidence_expired_purge() == 0


def test_the_daily_jobs_are_scheduled():
    from casework.schedules import schedules as casework_schedules
    from facecheck.schedules import schedules as facecheck_schedules

    funcs = {s["func"] for s in casework_schedules() + facecheck_schedules()}
    assert {"casework.retention.evidence_expired_purge", "facecheck.retention.selfies_expired_purge"} <= funcs
