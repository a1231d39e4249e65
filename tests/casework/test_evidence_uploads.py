"""Uploads: content decoded or parsed in full, a per-user daily quota, unattached files removed."""

import datetime
import io
import os
import random

import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import AuditEvent
from casework.models import EvidenceFile
from casework.retention import evidence_orphans_purge
from tests.casework.factories import PDF_BYTES, CaseFactory, evidence_for, jpeg_bytes, png_bytes, upload
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path


def post_file(client, content: bytes, name: str = "photo.jpg"):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/evidence", {"file": upload(content, name)}, format="multipart")


# --- content ---------------------------------------------------------------------------------------


def noisy_jpeg() -> bytes:
    """A photo-like JPEG (noise compresses badly, so most of the file is scan data)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (160, 120), os.urandom(160 * 120 * 3)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def test_a_jpeg_header_followed_by_random_bytes_is_refused():
    real = noisy_jpeg()
    headers_end = real.index(b"\xff\xda") + 14  # start-of-scan marker and its 12-byte header
    content = real[:headers_end] + random.Random(15).randbytes(len(real) - headers_end)
    response = post_file(client_for(UserFactory()), content)
    assert response.status_code == 415
    assert response.json()["code"] == "evidence_type_not_allowed"


def test_a_truncated_jpeg_is_refused():
    whole = noisy_jpeg()
    response = post_file(client_for(UserFactory()), whole[: len(whole) * 2 // 3])
    assert response.status_code == 415
    assert not EvidenceFile.objects.exists()


def test_a_truncated_png_is_refused():
    whole = png_bytes()
    response = post_file(client_for(UserFactory()), whole[:-30], "photo.png")
    assert response.status_code == 415


def test_a_tiny_pdf_header_and_eof_marker_is_refused():
    content = b"%PDF-1.4\n" + b"x" * 25 + b"\n%%EOF\n"
    assert len(content) == 41
    response = post_file(client_for(UserFactory()), content, "scan.pdf")
    assert response.status_code == 415


def test_a_pdf_without_pages_is_refused():
    content = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    response = post_file(client_for(UserFactory()), content, "scan.pdf")
    assert response.status_code == 415


def test_a_real_pdf_is_accepted():
    response = post_file(client_for(UserFactory()), PDF_BYTES, "scan.pdf")
    assert response.status_code == 201, response.json()


def test_a_photo_too_large_to_decode_is_refused_before_decoding(settings):
    settings.CASEWORK_EVIDENCE_MAX_DECODE_BYTES = 1000
    response = post_file(client_for(UserFactory()), png_bytes(), "photo.png")
    assert response.status_code == 415


# --- quota -----------------------------------------------------------------------------------------


def test_more_files_than_the_daily_count_are_refused_with_429(settings):
    settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES = 2
    client = client_for(UserFactory())
    assert post_file(client, jpeg_bytes((10, 10))).status_code == 201
    assert post_file(client, jpeg_bytes((11, 10))).status_code == 201
    response = post_file(client, jpeg_bytes((12, 10)))
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "evidence_quota_exceeded"
    assert body["message"] == "今天上传的文件已达上限，请明天再试。"
    assert EvidenceFile.objects.count() == 2


def test_more_bytes_than_the_daily_budget_are_refused(settings):
    first, second = jpeg_bytes((60, 60)), jpeg_bytes((61, 60))
    settings.CASEWORK_EVIDENCE_DAILY_MAX_BYTES = len(first) + len(second) - 1
    client = client_for(UserFactory())
    assert post_file(client, first).status_code == 201
    assert post_file(client, second).status_code == 429


def test_the_quota_is_per_user_and_per_day(settings, time_machine):
    settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES = 1
    time_machine.move_to(timezone.now().replace(hour=10), tick=False)
    user = UserFactory()
    assert post_file(client_for(user), jpeg_bytes((10, 10))).status_code == 201
    assert post_file(client_for(UserFactory()), jpeg_bytes((11, 10))).status_code == 201
    time_machine.move_to(timezone.now() + datetime.timedelta(days=1), tick=False)
    assert post_file(client_for(user), jpeg_bytes((12, 10))).status_code == 201


def test_sending_the_same_file_again_is_not_counted(settings):
    settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES = 1
    client = client_for(UserFactory())
    first = post_file(client, jpeg_bytes())
    again = post_file(client, jpeg_bytes())
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]


# --- files never attached ----------------------------------------------------------------------------


def _aged(evidence: EvidenceFile, hours: float) -> EvidenceFile:
    EvidenceFile.objects.filter(pk=evidence.pk).update(created_at=timezone.now() - datetime.timedelta(hours=hours))
    return evidence


def test_an_upload_never_attached_is_removed_after_the_set_hours(settings, django_capture_on_commit_callbacks):
    settings.CASEWORK_EVIDENCE_ORPHAN_HOURS = 24
    evidence = _aged(evidence_for(UserFactory()), 25)
    name = evidence.file.name
    assert evidence.file.storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        assert evidence_orphans_purge() == 1
    assert not EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert not evidence.file.storage.exists(name)
    assert AuditEvent.objects.filter(action="retention.evidence_orphan_delete").count() == 1


def test_a_recent_unattached_upload_is_kept(settings):
    settings.CASEWORK_EVIDENCE_ORPHAN_HOURS = 24
    _aged(evidence_for(UserFactory()), 23)
    assert evidence_orphans_purge() == 0
    assert EvidenceFile.objects.count() == 1


def test_an_old_upload_attached_to_a_case_is_kept(settings):
    settings.CASEWORK_EVIDENCE_ORPHAN_HOURS = 24
    evidence = _aged(evidence_for(UserFactory()), 100)
    CaseFactory().evidence.add(evidence)
    assert evidence_orphans_purge() == 0
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()


def test_the_orphan_purge_is_scheduled_daily():
    from casework.schedules import schedules

    assert "casework.retention.evidence_orphans_purge" in {s["func"] for s in schedules()}


def test_a_progressive_jpeg_with_several_scans_is_accepted():
    buffer = io.BytesIO()
    Image.frombytes("RGB", (300, 200), os.urandom(300 * 200 * 3)).save(
        buffer, format="JPEG", quality=85, progressive=True
    )
    response = post_file(client_for(UserFactory()), buffer.getvalue())
    assert response.status_code == 201
