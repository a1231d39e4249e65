"""POST /api/v1/facecheck/verify end to end: real models, real photos, real database rows."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.models import Case
from facecheck.engine import errors
from facecheck.models import FaceAttempt, FaceTemplate
from facecheck.services import face_template_enroll
from selfservice.models import Certification
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, UserFactory, pensioner_user

from .images import LFW, encode, load_rgb, paste, png_bomb

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

URL = "/api/v1/facecheck/verify"
POWELL = LFW / "images" / "Colin_Powell"
SORKIN = LFW / "images" / "Aaron_Sorkin"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    from facecheck import dedup

    dedup.reset()


@pytest.fixture
def enrolled(engine, lfw):  # type: ignore[no-untyped-def]
    """A pensioner with an app account and Colin Powell's photo 0001 enrolled as reference."""
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    face_template_enroll(pensioner=pensioner, image=(POWELL / "Colin_Powell_0001.jpg").read_bytes(), enrolled_by=None)
    return pensioner, user


def _post(client, data: bytes, **extra):  # type: ignore[no-untyped-def]
    return client.post(URL, {"image": SimpleUploadedFile("selfie.jpg", data), **extra}, format="multipart")


def _certified_yesterday() -> None:
    import datetime

    from django.utils import timezone

    Certification.objects.update(certified_at=timezone.now() - datetime.timedelta(days=1))


def _selfie(name: str = "Colin_Powell_0040.jpg") -> bytes:
    return (POWELL / name).read_bytes()


# -- outcomes ---------------------------------------------------------------------------------------
def test_own_selfie_is_accepted_and_certifies(enrolled):
    pensioner, user = enrolled
    before = pensioner.next_due
    response = _post(client_for(user), _selfie())
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result"] == "accepted" and body["method"] == "face"
    certification = Certification.objects.get(pk=body["certification_id"])
    assert certification.method == "face" and certification.recorded_by == user
    pensioner.refresh_from_db()
    assert pensioner.next_due > before
    attempt = FaceAttempt.objects.get(public_id=body["attempt_id"])
    assert attempt.model_id.startswith("mobilefacenet_ms1m_128d@")
    assert attempt.score >= 0.46 and attempt.quality["det_score"] > 0.5
    assert attempt.photo and attempt.image_sha256
    assert certification.evidence_ref == f"facecheck.attempt:{attempt.public_id}"


def test_the_accepted_answer_gives_the_next_due_date_as_people_read_it(enrolled):
    pensioner, user = enrolled
    body = _post(client_for(user), _selfie()).json()
    pensioner.refresh_from_db()
    due = pensioner.next_due
    assert f"下次请在{due.year}年{due.month}月{due.day}日前认证" in body["message"]


def test_relative_certifies_by_proxy(enrolled):
    pensioner, _user = enrolled
    link = RelativeLinkFactory(pensioner=pensioner)
    response = _post(client_for(link.relative), _selfie(), pensioner=pensioner.pk)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["result"] == "accepted" and body["method"] == "proxy_face"
    certification = Certification.objects.get(pk=body["certification_id"])
    assert certification.method == "proxy_face" and certification.recorded_by == link.relative
    assert FaceAttempt.objects.get(public_id=body["attempt_id"]).actor == link.relative


def test_unlinked_relative_gets_404(enrolled):
    pensioner, _user = enrolled
    stranger = UserFactory(roles=["relative"])
    response = _post(client_for(stranger), _selfie(), pensioner=pensioner.pk)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not FaceAttempt.objects.exists()


def test_pending_relative_link_gets_404(enrolled):
    pensioner, _user = enrolled
    link = RelativeLinkFactory(pensioner=pensioner, status="pending")
    assert _post(client_for(link.relative), _selfie(), pensioner=pensioner.pk).status_code == 404


def test_another_person_is_rejected(enrolled):
    pensioner, user = enrolled
    response = _post(client_for(user), next(SORKIN.glob("*.jpg")).read_bytes())
    body = response.json()
    assert body["result"] == "rejected" and body["certification_id"] is None
    assert body["attempts_left"] == 4
    assert not Certification.objects.filter(pensioner=pensioner).exists()
    attempt = FaceAttempt.objects.get(public_id=body["attempt_id"])
    assert attempt.score < 0.36 and not attempt.photo  # rejected selfies are not kept


def test_grey_zone_goes_to_a_review_case(enrolled, settings):
    pensioner, user = enrolled
    settings.FACECHECK_THRESHOLDS = {
        key: {**entry, "accept": 0.9, "reject": 0.3} for key, entry in settings.FACECHECK_THRESHOLDS.items()
    }
    body = _post(client_for(user), _selfie()).json()
    assert body["result"] == "review"
    case = Case.objects.get(pensioner=pensioner, category="face_review")
    assert case.source == "face_check"
    assert case.details["reports"][0]["attempt"] == body["attempt_id"]
    assert FaceAttempt.objects.get(public_id=body["attempt_id"]).case == case
    assert not Certification.objects.filter(pensioner=pensioner).exists()


# -- replay -----------------------------------------------------------------------------------------
def test_enrollment_photo_resubmitted_is_a_replay(enrolled):
    pensioner, user = enrolled
    body = _post(client_for(user), (POWELL / "Colin_Powell_0001.jpg").read_bytes()).json()
    assert body["result"] == "replay"
    assert FaceAttempt.objects.get(public_id=body["attempt_id"]).reason == "same_bytes"
    assert not Certification.objects.filter(pensioner=pensioner).exists()


def test_re_encoded_enrollment_photo_is_a_replay(enrolled):
    _pensioner, user = enrolled
    rgb = load_rgb(POWELL / "Colin_Powell_0001.jpg")
    body = _post(client_for(user), encode(cv2.resize(rgb, (300, 300)), "JPEG", quality=60)).json()
    assert body["result"] == "replay"
    assert FaceAttempt.objects.get(public_id=body["attempt_id"]).reason.startswith("near_identical")


def test_earlier_selfie_resubmitted_later_is_a_replay(enrolled, settings):
    _pensioner, user = enrolled
    client = client_for(user)
    assert _post(client, _selfie()).json()["result"] == "accepted"
    settings.FACECHECK_RETRY_WINDOW_SECONDS = 0  # the retry window is over
    _certified_yesterday()  # a later day: not "already certified"
    assert _post(client, _selfie()).json()["result"] == "replay"


def test_implausibly_similar_photo_goes_to_review(enrolled):
    """A mirrored copy of the enrolled photo: other bytes and pHash, but far too close to be a new photo."""
    pensioner, user = enrolled
    mirrored = np.ascontiguousarray(load_rgb(POWELL / "Colin_Powell_0001.jpg")[:, ::-1])
    body = _post(client_for(user), encode(mirrored, "PNG")).json()
    assert body["result"] == "review"
    assert FaceAttempt.objects.get(public_id=body["attempt_id"]).reason == "implausibly_similar"
    assert Case.objects.filter(pensioner=pensioner, category="face_review").exists()


def test_same_upload_retried_gets_the_same_answer(enrolled):
    pensioner, user = enrolled
    client = client_for(user)
    first = _post(client, _selfie()).json()
    second = _post(client, _selfie()).json()
    assert second["attempt_id"] == first["attempt_id"] and second["result"] == "accepted"
    assert Certification.objects.filter(pensioner=pensioner).count() == 1
    assert FaceAttempt.objects.count() == 1


# -- limits and refusals ----------------------------------------------------------------------------
def _use_up_attempts(client, settings, **extra):  # type: ignore[no-untyped-def]
    settings.FACECHECK_DAILY_ATTEMPTS = 2
    strangers = [SORKIN / "Aaron_Sorkin_0001.jpg", LFW / "images" / "Abbas_Kiarostami" / "Abbas_Kiarostami_0001.jpg"]
    for path in strangers:
        assert _post(client, path.read_bytes(), **extra).json()["result"] == "rejected"


def test_daily_limit_points_to_a_relative_on_site_or_tomorrow(enrolled, settings):
    pensioner, user = enrolled
    RelativeLinkFactory(pensioner=pensioner)
    client = client_for(user)
    _use_up_attempts(client, settings)
    response = _post(client, _selfie())
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "face_attempts_exhausted"
    assert "亲属" in body["message"] and "服务点" in body["message"] and "明天" in body["message"]
    assert FaceAttempt.objects.filter(pensioner=pensioner, result="limited").count() == 1
    assert not Certification.objects.filter(pensioner=pensioner).exists()


def test_daily_limit_without_a_linked_relative_does_not_suggest_one(enrolled, settings):
    _pensioner, user = enrolled
    client = client_for(user)
    _use_up_attempts(client, settings)
    body = _post(client, _selfie()).json()
    assert body["code"] == "face_attempts_exhausted"
    assert "亲属" not in body["message"] and "明天" in body["message"] and "窗口" in body["message"]


def test_relative_at_the_pensioners_limit_gets_advice_that_can_work_for_them(enrolled, settings):
    pensioner, user = enrolled
    link = RelativeLinkFactory(pensioner=pensioner)
    _use_up_attempts(client_for(user), settings)
    response = _post(client_for(link.relative), _selfie(), pensioner=pensioner.pk)
    assert response.status_code == 429
    message = response.json()["message"]
    assert "亲属" not in message  # the relative is the one reading it
    assert pensioner.name in message and "明天" in message and "窗口" in message and "服务点" in message


def test_the_last_rejected_attempt_gives_the_readers_advice(enrolled, settings):
    pensioner, _user = enrolled
    link = RelativeLinkFactory(pensioner=pensioner)
    settings.FACECHECK_DAILY_ATTEMPTS = 1
    body = _post(client_for(link.relative), (SORKIN / "Aaron_Sorkin_0001.jpg").read_bytes(), pensioner=pensioner.pk)
    body = body.json()
    assert body["result"] == "rejected" and body["attempts_left"] == 0
    assert "亲属" not in body["message"] and "明天" in body["message"]


def test_certified_minutes_ago_is_told_so_without_spending_an_attempt(enrolled):
    pensioner, user = enrolled
    client = client_for(user)
    assert _post(client, _selfie()).json()["result"] == "accepted"
    pensioner.refresh_from_db()
    response = _post(client, _selfie("Colin_Powell_0049.jpg"))
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "already_certified"
    due = pensioner.next_due
    assert f"{due.year}年{due.month}月{due.day}日" in body["message"]
    assert Certification.objects.filter(pensioner=pensioner).count() == 1
    assert FaceAttempt.objects.filter(pensioner=pensioner).count() == 1  # nothing stored, nothing spent


def test_relative_after_the_pensioner_certified_today_is_told_so(enrolled):
    pensioner, user = enrolled
    link = RelativeLinkFactory(pensioner=pensioner)
    assert _post(client_for(user), _selfie()).json()["result"] == "accepted"
    response = _post(client_for(link.relative), _selfie("Colin_Powell_0049.jpg"), pensioner=pensioner.pk)
    assert response.status_code == 409 and response.json()["code"] == "already_certified"
    assert pensioner.name in response.json()["message"]
    assert Certification.objects.filter(pensioner=pensioner).count() == 1


def test_certified_on_an_earlier_day_can_certify_again(enrolled):
    _pensioner, user = enrolled
    client = client_for(user)
    assert _post(client, _selfie()).json()["result"] == "accepted"
    _certified_yesterday()
    mirrored = np.ascontiguousarray(load_rgb(POWELL / "Colin_Powell_0040.jpg")[:, ::-1])
    response = _post(client, encode(mirrored, "PNG"))
    assert response.status_code == 200, response.json()


def test_unusable_photos_do_not_use_up_attempts(enrolled, settings):
    _pensioner, user = enrolled
    settings.FACECHECK_DAILY_ATTEMPTS = 1
    client = client_for(user)
    assert _post(client, b"").status_code == 400
    assert _post(client, _selfie()).json()["result"] == "accepted"


def _bad_input(case: str) -> tuple[bytes, str]:
    powell = load_rgb(POWELL / "Colin_Powell_0001.jpg")
    makers = {
        "not an image": lambda: (b"%PDF-1.4\n" + b"0" * 500, errors.IMAGE_INVALID),
        "truncated": lambda: (encode(powell, "JPEG", quality=95)[:8000], errors.IMAGE_TRUNCATED),
        "empty": lambda: (b"", errors.IMAGE_EMPTY),
        "20000x20000 png": lambda: (png_bomb(20_000, 20_000), errors.IMAGE_TOO_MANY_PIXELS),
        "no face": lambda: (encode(np.full((480, 640, 3), 90, dtype=np.uint8)), errors.FACE_NOT_FOUND),
        "two faces": lambda: (
            encode(np.hstack([powell, np.ascontiguousarray(powell[:, ::-1])])),
            errors.FACE_MULTIPLE,
        ),
        "tiny face": lambda: (
            encode(paste((640, 480), cv2.resize(powell, (60, 60)), (290, 210))),
            errors.FACE_TOO_SMALL,
        ),
        "dark": lambda: (encode((powell * 0.2).astype(np.uint8)), errors.FACE_TOO_DARK),
    }
    return makers[case]()


@pytest.mark.parametrize(
    "case", ["not an image", "truncated", "empty", "20000x20000 png", "no face", "two faces", "tiny face", "dark"]
)
def test_bad_input_answers_its_own_code_in_chinese(enrolled, case):
    pensioner, user = enrolled
    data, code = _bad_input(case)
    response = _post(client_for(user), data)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])  # a Chinese hint, not English
    attempt = FaceAttempt.objects.get(pensioner=pensioner)
    assert attempt.result == "refused" and attempt.reason == code


def test_missing_image_field_is_invalid_input(enrolled):
    _pensioner, user = enrolled
    response = client_for(user).post(URL, {}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_oversized_upload_is_refused_before_reading(enrolled, settings):
    _pensioner, user = enrolled
    settings.FACECHECK_MAX_UPLOAD_BYTES = 1000
    response = _post(client_for(user), _selfie())
    assert response.status_code == 400 and response.json()["code"] == errors.IMAGE_TOO_BIG


def test_not_enrolled_is_told_to_certify_on_site(engine):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    response = _post(client_for(user), _selfie())
    assert response.status_code == 409
    assert response.json()["code"] == "face_not_enrolled"


def test_templates_of_an_old_model_are_never_compared(enrolled):
    pensioner, user = enrolled
    FaceTemplate.objects.filter(pensioner=pensioner).update(model_id="w600k_mbf@9cc6e4a75f0e2bf0")
    response = _post(client_for(user), _selfie())
    assert response.status_code == 503
    assert response.json()["code"] == "face_templates_outdated"


def test_missing_models_answer_503_not_500(enrolled, settings, tmp_path):
    _pensioner, user = enrolled
    settings.FACECHECK_MODEL_DIR = tmp_path / "no-models"
    response = _post(client_for(user), _selfie())
    assert response.status_code == 503
    assert response.json()["code"] == "face_service_unavailable"


def test_ended_benefit_cannot_certify(enrolled):
    pensioner, user = enrolled
    pensioner.benefit_status = "terminated"
    pensioner.save(update_fields=["benefit_status"])
    response = _post(client_for(user), _selfie())
    assert response.status_code == 409 and response.json()["code"] == "benefit_ended"
