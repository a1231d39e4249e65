import pytest

from accounts.models import AuditEvent
from accounts.roles import Role
from backend.api.errors import ApplicationError
from casework import services
from casework.models import EvidenceFile
from tests.casework.factories import PDF_BYTES, caseworker, evidence_for, jpeg_bytes, png_bytes, staff, upload
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def post_file(client, content: bytes, name: str, content_type: str = "application/octet-stream"):
    return client.post("/api/v1/evidence", {"file": upload(content, name, content_type)}, format="multipart")


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (jpeg_bytes(), "certificate.jpg", "image/jpeg"),
        (png_bytes(), "certificate.png", "image/png"),
        (PDF_BYTES, "certificate.pdf", "application/pdf"),
    ],
)
def test_jpeg_png_and_pdf_are_accepted_by_content(content, name, expected):
    response = post_file(client_for(UserFactory()), content, name)
    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == expected
    assert EvidenceFile.objects.get().size == len(content)


def test_the_type_comes_from_the_bytes_not_the_name():
    response = post_file(client_for(UserFactory()), png_bytes(), "looks-like.pdf", "application/pdf")
    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"<html><script>alert(1)</script></html>", "certificate.jpg"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" * 20, "scan.pdf"),
        (b"just some text that is not an image", "photo.png"),
        (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,", "photo.jpg"),
    ],
    ids=["html-as-jpg", "exe-as-pdf", "text-as-png", "gif-as-jpg"],
)
def test_wrong_type_disguised_by_extension_is_refused(content, name):
    response = post_file(client_for(UserFactory()), content, name, "image/jpeg")
    assert response.status_code == 415
    body = response.json()
    assert body["code"] == "evidence_type_not_allowed"
    assert "file" in body["fields"]
    assert not EvidenceFile.objects.exists()


def test_a_jpeg_header_glued_to_junk_is_refused():
    response = post_file(client_for(UserFactory()), b"\xff\xd8\xff\xe0" + b"\x00" * 500, "photo.jpg", "image/jpeg")
    assert response.status_code == 415


def test_a_truncated_pdf_is_refused():
    response = post_file(client_for(UserFactory()), PDF_BYTES[:60], "scan.pdf", "application/pdf")
    assert response.status_code == 415


def test_an_empty_file_is_refused():
    response = post_file(client_for(UserFactory()), b"", "empty.jpg", "image/jpeg")
    assert response.status_code == 400
    assert response.json()["code"] == "evidence_empty"


def test_an_oversized_file_is_refused(settings):
    settings.CASEWORK_EVIDENCE_MAX_BYTES = 2048
    response = post_file(client_for(UserFactory()), jpeg_bytes((400, 400)), "big.jpg", "image/jpeg")
    assert len(jpeg_bytes((400, 400))) > 2048
    assert response.status_code == 413
    assert response.json()["code"] == "evidence_too_large"


def test_a_request_without_a_file_answers_the_error_shape():
    response = client_for(UserFactory()).post("/api/v1/evidence", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "file" in response.json()["fields"]


def test_uploading_the_same_bytes_again_returns_the_first_file():
    client = client_for(UserFactory())
    first = post_file(client, jpeg_bytes(), "a.jpg").json()["id"]
    second = post_file(client, jpeg_bytes(), "b.jpg").json()["id"]
    assert first == second
    assert EvidenceFile.objects.count() == 1


def test_the_file_is_stored_under_a_server_chosen_name_in_media_root(settings):
    evidence = evidence_for(UserFactory())
    assert evidence.file.name.startswith("casework/evidence/")
    assert evidence.file.name.endswith(".jpg")
    assert "photo" not in evidence.file.name
    assert (settings.MEDIA_ROOT / evidence.file.name).is_file()


def test_the_uploader_can_download_their_file():
    user = UserFactory()
    evidence = evidence_for(user)
    response = client_for(user).get(f"/api/v1/evidence/{evidence.pk}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content) == jpeg_bytes()


def test_another_user_cannot_download_it():
    evidence = evidence_for(UserFactory())
    response = client_for(UserFactory()).get(f"/api/v1/evidence/{evidence.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_staff_read_attached_evidence_in_scope_and_the_read_is_audited():
    from tests.casework.factories import CaseFactory

    uploader = UserFactory()
    evidence = evidence_for(uploader)
    case = CaseFactory()
    case.evidence.add(evidence)
    worker = caseworker()
    assert client_for(worker).get(f"/api/v1/evidence/{evidence.pk}").status_code == 200
    assert AuditEvent.objects.filter(action="evidence.read", actor=worker).exists()
    outsider = staff(Role.CASEWORKER, region_code="360121000000")
    assert client_for(outsider).get(f"/api/v1/evidence/{evidence.pk}").status_code == 404


def test_attaching_someone_elses_upload_is_refused():
    evidence = evidence_for(UserFactory())
    with pytest.raises(ApplicationError) as exc:
        services.evidence_resolve(actor=UserFactory(), evidence_ids=[evidence.pk])
    assert exc.value.code == "evidence_not_found"
