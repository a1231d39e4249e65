"""Enrollment (staff API, import command), photo access in scope, ageing templates, duplicate faces,
re-embedding after a model change."""

from __future__ import annotations

import datetime
import shutil

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from casework.models import Case
from facecheck import services, tasks
from facecheck.models import DuplicateFinding, FaceAttempt, FaceTemplate
from selfservice.models import Certification
from tests.conftest import client_for
from tests.factories import PensionerFactory, RegionFactory, StaffFactory, UserFactory, pensioner_user

from .images import LFW

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

POWELL = LFW / "images" / "Colin_Powell"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    from facecheck import dedup

    dedup.reset()


def _photo(name: str) -> bytes:
    return (POWELL / name).read_bytes()


@pytest.fixture
def caseworker():  # type: ignore[no-untyped-def]
    staff = StaffFactory(roles=["caseworker"])
    staff.user_permissions.add(Permission.objects.get(codename="add_facetemplate"))
    return staff


# -- staff enrollment -------------------------------------------------------------------------------
def test_staff_enrolls_a_reference_photo(engine, lfw, caseworker):
    pensioner = PensionerFactory(region=RegionFactory(code="360102001001"))
    response = client_for(caseworker).post(
        "/api/v1/facecheck/enrollments",
        {"image": SimpleUploadedFile("id.jpg", _photo("Colin_Powell_0001.jpg")), "pensioner": pensioner.pk},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    template = FaceTemplate.objects.get(pk=response.json()["template_id"])
    assert template.kind == "reference" and template.source == "enrollment" and template.enrolled_by == caseworker
    assert template.model_id == engine.model_id and template.embedding_dim == engine.embedding_dim
    assert len(template.vector) == engine.embedding_dim
    assert template.photo.storage.exists(template.photo.name)


def test_staff_cannot_enroll_outside_their_region(engine, lfw, caseworker):
    elsewhere = PensionerFactory(region=RegionFactory(code="110101001001"))
    response = client_for(caseworker).post(
        "/api/v1/facecheck/enrollments",
        {"image": SimpleUploadedFile("id.jpg", _photo("Colin_Powell_0001.jpg")), "pensioner": elsewhere.pk},
        format="multipart",
    )
    assert response.status_code == 404
    assert not FaceTemplate.objects.exists()


def test_pensioners_cannot_enroll(engine, lfw):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    response = client_for(user).post(
        "/api/v1/facecheck/enrollments",
        {"image": SimpleUploadedFile("id.jpg", _photo("Colin_Powell_0001.jpg")), "pensioner": pensioner.pk},
        format="multipart",
    )
    assert response.status_code == 404


def test_unusable_enrollment_photo_is_refused_with_its_code(engine, lfw, caseworker):
    pensioner = PensionerFactory(region=RegionFactory(code="360102001001"))
    response = client_for(caseworker).post(
        "/api/v1/facecheck/enrollments",
        {"image": SimpleUploadedFile("id.jpg", b"not a photo"), "pensioner": pensioner.pk},
        format="multipart",
    )
    assert response.status_code == 400 and response.json()["code"] == "image_invalid"


def test_re_enrollment_keeps_history(engine, lfw):
    pensioner = PensionerFactory()
    first = services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    second = services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0002.jpg"), enrolled_by=None)
    first.refresh_from_db()
    assert not first.is_active and first.retired_at is not None
    assert second.is_active
    assert FaceTemplate.objects.filter(pensioner=pensioner).count() == 2


# -- photo access -----------------------------------------------------------------------------------
def test_enrolled_photo_is_served_to_staff_in_scope_only(engine, lfw):
    pensioner = PensionerFactory(region=RegionFactory(code="360102001001"))
    template = services.face_template_enroll(
        pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None
    )
    url = f"/api/v1/facecheck/templates/{template.pk}/photo"
    inside = StaffFactory(roles=["caseworker"])
    response = client_for(inside).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    assert response["Cache-Control"] == "private, no-store"
    outside = StaffFactory(roles=["caseworker"], region=RegionFactory(code="110101000000", level=3))
    assert client_for(outside).get(url).status_code == 404
    assert client_for(pensioner_user(pensioner)).get(url).status_code == 404


def test_stored_photos_carry_no_exif(engine, lfw):
    from PIL import Image

    pensioner = PensionerFactory()
    template = services.face_template_enroll(
        pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None
    )
    with template.photo.open("rb") as handle, Image.open(handle) as image:
        assert image.format == "JPEG" and not image.getexif()


# -- ageing templates -------------------------------------------------------------------------------
def _verify(pensioner, user, name: str):  # type: ignore[no-untyped-def]
    return services.face_verify(actor=user, pensioner=pensioner, image=_photo(name), method="face")


def test_confident_accept_adds_an_ageing_template_anchored_on_the_reference(engine, lfw):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    outcome = _verify(pensioner, user, "Colin_Powell_0198.jpg")  # cosine 0.79 to the reference
    assert outcome.attempt.result == "accepted"
    ageing = FaceTemplate.objects.get(pensioner=pensioner, kind="ageing")
    assert ageing.source == "selfie" and ageing.attempt == outcome.attempt
    assert ageing.quality["reference_score"] == pytest.approx(outcome.attempt.reference_score, abs=1e-3)
    assert ageing.fusion_model_id == engine.fusion_model_id and ageing.fusion_vector is not None


def test_reembed_fills_the_fusion_embedding_of_a_current_template(engine, lfw, capsys):
    pensioner = PensionerFactory()
    template = services.face_template_enroll(
        pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None
    )
    FaceTemplate.objects.filter(pk=template.pk).update(fusion_model_id="", fusion_embedding=None)
    call_command("facecheck_reembed")
    assert "other models' embeddings filled 1" in capsys.readouterr().out
    template.refresh_from_db()
    assert template.is_active and template.fusion_model_id == engine.fusion_model_id
    assert template.fusion_vector is not None and template.fusion_vector.shape == (engine.pack.fusion_dim,)


def test_template_without_the_fusion_embedding_is_held_to_the_primary_only_accept(engine, lfw, settings):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    template = services.face_template_enroll(
        pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None
    )
    FaceTemplate.objects.filter(pk=template.pk).update(fusion_model_id="", fusion_embedding=None)
    key = f"{engine.model_id}+{engine.fusion_model_id}"
    settings.FACECHECK_THRESHOLDS = {
        **settings.FACECHECK_THRESHOLDS,
        key: {**settings.FACECHECK_THRESHOLDS[key], "accept_primary_only": 0.85},
    }
    attempt = _verify(pensioner, user, "Colin_Powell_0198.jpg").attempt  # cosine 0.79: fused, it would certify
    assert attempt.result == "review" and attempt.fusion_score is None


def test_accept_below_the_ageing_threshold_adds_no_template(engine, lfw, settings):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    settings.FACECHECK_THRESHOLDS = {k: {**v, "ageing": 0.9} for k, v in settings.FACECHECK_THRESHOLDS.items()}
    assert _verify(pensioner, user, "Colin_Powell_0198.jpg").attempt.result == "accepted"
    assert not FaceTemplate.objects.filter(pensioner=pensioner, kind="ageing").exists()


def test_ageing_templates_are_capped(engine, lfw, settings):
    settings.FACECHECK_AGEING_MAX_TEMPLATES = 1
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    _verify(pensioner, user, "Colin_Powell_0198.jpg")
    # the next accepted selfie comes on a later day (the same day answers "already certified")
    Certification.objects.update(certified_at=timezone.now() - datetime.timedelta(days=1))
    _verify(pensioner, user, "Colin_Powell_0040.jpg")
    active = FaceTemplate.objects.filter(pensioner=pensioner, kind="ageing", is_active=True)
    assert active.count() == 1
    assert FaceTemplate.objects.filter(pensioner=pensioner, kind="ageing", is_active=False).count() == 1


# -- duplicate faces --------------------------------------------------------------------------------
def test_enrolling_the_same_face_for_two_pensioners_opens_a_case(engine, lfw):
    first = PensionerFactory()
    second = PensionerFactory()
    services.face_template_enroll(pensioner=first, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=second, image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    case = Case.objects.get(category="duplicate_face")
    assert case.pensioner == second and case.source == "face_check"
    assert case.details["reports"][0]["other_pensioner_id"] == first.pk
    assert DuplicateFinding.objects.count() == 1


def test_the_duplicate_case_records_the_threshold_it_was_found_at(engine, lfw):
    services.face_template_enroll(pensioner=PensionerFactory(), image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=PensionerFactory(), image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    details = Case.objects.get(category="duplicate_face").details["reports"][0]
    assert details["threshold"] == engine.thresholds()["duplicate"] <= details["score"]


def test_a_tighter_false_match_budget_raises_the_duplicate_threshold(engine, lfw, settings):
    # 1e-12 expected strangers per search: the threshold for even a one-template gallery is above 0.95
    settings.FACECHECK_DUPLICATE_FALSE_MATCHES_PER_SEARCH = 1e-12
    services.face_template_enroll(pensioner=PensionerFactory(), image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=PensionerFactory(), image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    assert not Case.objects.filter(category="duplicate_face").exists()


def test_different_faces_open_no_duplicate_case(engine, lfw):
    services.face_template_enroll(pensioner=PensionerFactory(), image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    other = next((LFW / "images" / "Aaron_Sorkin").glob("*.jpg")).read_bytes()
    services.face_template_enroll(pensioner=PensionerFactory(), image=other, enrolled_by=None)
    assert not Case.objects.filter(category="duplicate_face").exists()


def test_scheduled_scan_finds_duplicates_once(engine, lfw, monkeypatch):
    # as if enrolled before the check
    monkeypatch.setattr(services.enrollment, "face_duplicates_check", lambda **kwargs: [])
    first, second = PensionerFactory(), PensionerFactory()
    services.face_template_enroll(pensioner=first, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=second, image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    assert not Case.objects.filter(category="duplicate_face").exists()
    assert tasks.face_duplicates_scan() == 1
    assert Case.objects.filter(category="duplicate_face").count() == 1
    assert tasks.face_duplicates_scan() == 0  # the same pair is not reported again


def test_duplicate_scan_is_scheduled():
    from facecheck.schedules import schedules

    assert "facecheck.tasks.face_duplicates_scan" in [s["func"] for s in schedules()]


# -- import and re-embedding ------------------------------------------------------------------------
def test_import_enrolls_photos_named_by_id_number(engine, lfw, tmp_path, capsys):
    known = PensionerFactory()
    folder = tmp_path / "id_photos"
    folder.mkdir()
    shutil.copy(POWELL / "Colin_Powell_0001.jpg", folder / f"{known.id_number}.JPG")
    (folder / "110101194910010014.jpg").write_bytes(_photo("Colin_Powell_0002.jpg"))  # nobody has this number
    (folder / "notes.txt").write_text("ignored")
    call_command("facecheck_import_photos", str(folder))
    template = FaceTemplate.objects.get(pensioner=known)
    assert template.source == "import"
    out = capsys.readouterr().out
    assert "enrolled 1" in out and "unknown ID number 1" in out
    call_command("facecheck_import_photos", str(folder))  # run again: already enrolled, skipped
    assert "skipped 1" in capsys.readouterr().out
    assert FaceTemplate.objects.filter(pensioner=known).count() == 1


def test_reembed_moves_templates_to_the_current_model(engine, lfw, capsys):
    pensioner = PensionerFactory()
    user = pensioner_user(pensioner)
    old = services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    FaceTemplate.objects.filter(pk=old.pk).update(model_id="w600k_mbf@9cc6e4a75f0e2bf0", embedding=b"\x00" * 2048)
    call_command("facecheck_reembed")
    assert "re-embedded 1" in capsys.readouterr().out
    old.refresh_from_db()
    new = FaceTemplate.objects.get(pensioner=pensioner, is_active=True)
    assert not old.is_active and new.derived_from == old and new.model_id == engine.model_id
    assert new.source == "reembed" and new.photo.name == old.photo.name
    assert _verify(pensioner, user, "Colin_Powell_0040.jpg").attempt.result == "accepted"
    call_command("facecheck_reembed")  # nothing left to do
    assert "re-embedded 0" in capsys.readouterr().out


def test_attempt_photo_served_to_staff_in_scope(engine, lfw):
    pensioner = PensionerFactory(region=RegionFactory(code="360102001001"))
    user = pensioner_user(pensioner)
    services.face_template_enroll(pensioner=pensioner, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    attempt = _verify(pensioner, user, "Colin_Powell_0040.jpg").attempt
    url = f"/api/v1/facecheck/attempts/{attempt.public_id}/photo"
    assert client_for(StaffFactory(roles=["reviewer"])).get(url).status_code == 200
    assert client_for(user).get(url).status_code == 404
    assert (
        client_for(UserFactory(roles=["relative"])).get("/api/v1/facecheck/attempts/nonsense/photo").status_code == 404
    )
    assert FaceAttempt.objects.count() == 1


# -- admin ------------------------------------------------------------------------------------------
def test_admin_add_form_enrolls_through_the_service(engine, lfw, client):
    admin_user = StaffFactory(is_superuser=True)
    client.force_login(admin_user)
    pensioner = PensionerFactory()
    response = client.post(
        "/admin/facecheck/facetemplate/add/",
        {"pensioner": pensioner.pk, "image": SimpleUploadedFile("id.jpg", _photo("Colin_Powell_0001.jpg"))},
    )
    assert response.status_code == 302, response.content[:500]
    template = FaceTemplate.objects.get(pensioner=pensioner)
    assert template.enrolled_by == admin_user and template.is_active
    assert client.get(f"/admin/facecheck/facetemplate/{template.pk}/change/").status_code == 200
    assert client.get("/admin/facecheck/faceattempt/").status_code == 200


def test_admin_add_form_shows_the_gate_hint(engine, lfw, client):
    client.force_login(StaffFactory(is_superuser=True))
    pensioner = PensionerFactory()
    response = client.post(
        "/admin/facecheck/facetemplate/add/",
        {"pensioner": pensioner.pk, "image": SimpleUploadedFile("id.jpg", b"not a photo")},
    )
    assert response.status_code == 200
    assert "无法识别这个文件" in response.content.decode()
    assert not FaceTemplate.objects.exists()


def test_approximate_index_finds_the_duplicate_at_enrollment_and_in_the_scan(engine, lfw, settings):
    from facecheck import dedup

    settings.FACECHECK_ANN_MIN_TEMPLATES = 1  # the faiss path from the first template on
    settings.FACECHECK_ANN = {"nlist": 1, "nprobe": 1}
    dedup.reset()
    first, second = PensionerFactory(), PensionerFactory()
    services.face_template_enroll(pensioner=first, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=second, image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    dedup.reset()
    assert DuplicateFinding.objects.count() == 1  # found at enrollment, confirmed on the stored embeddings
    DuplicateFinding.objects.all().delete()
    assert tasks.face_duplicates_scan() == 1


def test_approximate_scan_queries_only_recent_templates(engine, lfw, settings, monkeypatch):
    from facecheck import dedup

    monkeypatch.setattr(services.enrollment, "face_duplicates_check", lambda **kwargs: [])
    settings.FACECHECK_ANN_MIN_TEMPLATES = 1
    settings.FACECHECK_ANN = {"nlist": 1, "nprobe": 1}
    settings.FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS = 48
    dedup.reset()
    first, second = PensionerFactory(), PensionerFactory()
    services.face_template_enroll(pensioner=first, image=_photo("Colin_Powell_0001.jpg"), enrolled_by=None)
    services.face_template_enroll(pensioner=second, image=_photo("Colin_Powell_0198.jpg"), enrolled_by=None)
    FaceTemplate.objects.update(created_at=timezone.now() - datetime.timedelta(days=3))
    assert tasks.face_duplicates_scan() == 0  # both older than the window (left to the enrollment check)
    settings.FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS = 0
    assert tasks.face_duplicates_scan() == 1  # the full scan still finds the pair
