"""The agencies' batch API (signature, source permissions, replays) and the staff reads."""

from __future__ import annotations

import datetime
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.roles import Role
from silent.models import Agency, DataSource, EvidenceEvent, IngestBatch, SurvivalGrade
from silent.services.agencies import body_signature
from tests.conftest import client_for
from tests.factories import RegionFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/evidence/batches"


@pytest.fixture
def civil_affairs() -> Agency:
    agency = Agency.objects.get(key="civil_affairs")
    agency.secret = "s3cret-civil"
    agency.save()
    return agency


SECRET = "s3cret-civil"


def post(body: dict, *, agency: str = "civil_affairs", secret: str = SECRET, signature: str | None = None):  # type: ignore[no-untyped-def]
    raw = json.dumps(body, ensure_ascii=False).encode()
    return APIClient().post(
        URL,
        data=raw,
        content_type="application/json",
        HTTP_X_AGENCY_KEY=agency,
        HTTP_X_SIGNATURE=signature if signature is not None else body_signature(secret=secret, body=raw),
    )


def batch(p, *, batch_id: str = "B1", source: str = "cremation", rows: list | None = None) -> dict:  # type: ignore[no-untyped-def]
    day = (timezone.localdate() - datetime.timedelta(days=2)).isoformat()
    return {
        "batch_id": batch_id,
        "source": source,
        "rows": rows
        if rows is not None
        else [{"record_id": "C1", "id_number": p.id_number, "name": p.name, "event_date": day}],
    }


def test_a_signed_batch_is_loaded_and_answered_with_the_counts(civil_affairs, person):
    p = person()
    body = batch(p)
    body["rows"].append({"record_id": "C2", "id_number": p.id_number, "name": "别人", "event_date": "2026-01-01"})
    response = post(body)
    assert response.status_code == 201, response.json()
    assert response.json() == {
        "batch_id": "B1",
        "source": "cremation",
        "rows": 2,
        "accepted": 1,
        "duplicates": 0,
        "rejected": 1,
        "rejects": [{"line": 2, "reason": "name_mismatch", "record_id": "C2"}],
        "replayed": False,
    }
    assert EvidenceEvent.objects.get().batch.agency == civil_affairs


def test_a_replayed_batch_id_returns_the_stored_result_without_loading_again(civil_affairs, person):
    p = person()
    first = post(batch(p)).json()
    again = post(batch(p))
    assert again.status_code == 200
    assert again.json() == first | {"replayed": True}
    assert IngestBatch.objects.count() == 1 and EvidenceEvent.objects.count() == 1


def test_the_same_rows_under_a_new_batch_id_are_duplicates(civil_affairs, person):
    p = person()
    post(batch(p))
    assert post(batch(p, batch_id="B2")).json()["duplicates"] == 1


def test_a_batch_id_reused_for_other_records_is_a_conflict(civil_affairs, person):
    p = person()
    post(batch(p))
    other = batch(p)
    other["rows"][0]["record_id"] = "C9"
    response = post(other)
    assert (response.status_code, response.json()["code"]) == (409, "batch_id_reused")


def test_another_agencys_source_is_forbidden(civil_affairs, person):
    response = post(batch(person(), source="prison_admission"))
    assert (response.status_code, response.json()["code"]) == (403, "source_not_allowed")
    assert not EvidenceEvent.objects.exists()


@pytest.mark.parametrize(
    ("agency", "secret", "signature"),
    [
        ("civil_affairs", "wrong-secret", None),
        ("civil_affairs", "s3cret-civil", "sha256=" + "0" * 64),
        ("civil_affairs", "s3cret-civil", ""),
        ("nobody", "s3cret-civil", None),
        ("justice", "", None),  # an agency without a secret has no API access
    ],
)
def test_a_bad_signature_or_unknown_agency_is_refused(civil_affairs, person, agency, secret, signature):
    response = post(batch(person()), agency=agency, secret=secret, signature=signature)
    assert (response.status_code, response.json()["code"]) == (401, "bad_signature")
    assert not EvidenceEvent.objects.exists()


def test_the_signature_covers_the_whole_body(civil_affairs, person):
    p = person()
    signed = json.dumps(batch(p)).encode()
    tampered = json.dumps(batch(p, source="household_deregistration")).encode()
    response = APIClient().post(
        URL,
        data=tampered,
        content_type="application/json",
        HTTP_X_AGENCY_KEY="civil_affairs",
        HTTP_X_SIGNATURE=body_signature(secret="s3cret-civil", body=signed),
    )
    assert response.status_code == 401


def test_bad_rows_are_rejected_not_refused(civil_affairs, person):
    response = post(batch(person(), rows=[{"record_id": "X"}, "text", {"record_id": ["x"], "name": 1}]))
    assert response.status_code == 201
    assert [r["reason"] for r in response.json()["rejects"]] == ["missing_field", "bad_row", "bad_row"]


def test_an_invalid_envelope_is_a_400(civil_affairs):
    response = post({"batch_id": "has space", "source": "cremation", "rows": []})
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_too_many_rows_is_a_413(civil_affairs, person, settings):
    settings.SILENT_API_MAX_ROWS = 1
    response = post(batch(person(), rows=[{}, {}]))
    assert (response.status_code, response.json()["code"]) == (413, "batch_too_large")


# --- staff reads -------------------------------------------------------------------------------


def test_the_safety_net_lists_people_due_soon_with_a_medium_or_low_grade(person, today):
    county = RegionFactory(code="360102000000", level=3)
    low = person(due_in=20)
    strong = person(due_in=20)
    later = person(due_in=90)
    never_graded = person(due_in=5)
    for p, grade in ((low, "low"), (strong, "strong"), (later, "low")):
        SurvivalGrade.objects.create(pensioner=p, grade=grade, graded_on=today)
    staff = StaffFactory(roles=[Role.CASEWORKER], region=county)
    response = client_for(staff).get("/api/v1/silent/safety-net")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [never_graded.pk, low.pk]
    assert response.json()["results"][1]["grade"]["grade"] == "low"


def test_the_safety_net_is_for_staff_only(person):
    user = UserFactory(roles=[Role.RELATIVE])
    assert client_for(user).get("/api/v1/silent/safety-net").status_code == 403


def test_staff_outside_the_region_see_nobody(person):
    person(due_in=5)
    other = RegionFactory(code="440100000000", level=2)
    staff = StaffFactory(roles=[Role.CASEWORKER], region=other)
    assert client_for(staff).get("/api/v1/silent/safety-net").json()["results"] == []


def test_staff_see_which_data_said_so(person):
    from silent.services.rounds import silent_round
    from tests.silent.test_round import days_ago

    p = person(due_in=10)
    source_batch = IngestBatch.objects.create(source=DataSource.objects.get(key="vaccination"), channel="file")
    event = EvidenceEvent.objects.create(
        source=source_batch.source,
        record_id="V1",
        pensioner=p,
        event_date=days_ago(3),
        received_at=timezone.now(),
        batch=source_batch,
    )
    silent_round()
    staff = StaffFactory(roles=[Role.CASEWORKER], region=RegionFactory(code="360102000000", level=3))
    body = client_for(staff).get(f"/api/v1/silent/pensioners/{p.pk}").json()
    assert body["grade"]["grade"] == "strong"
    assert body["decisions"][0]["trigger_id"] == event.pk
    assert body["decisions"][0]["certification_id"] is not None
    rounds = client_for(staff).get("/api/v1/silent/rounds").json()["results"]
    assert rounds[0]["certified"] == 1
