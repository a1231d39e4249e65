"""On-site, counter and consulate proofs of life: who may record, what is checked, and what the two
staff confirmations do (through the API)."""

import datetime

import pytest

from accounts.models import AuditEvent, Pensioner
from accounts.roles import Role
from accounts.services import user_add_role
from casework import hooks, services
from casework.models import Case, ProofOfLife
from selfservice.models import Certification
from tests.casework.factories import caseworker, give_amount_setting, request_id, reviewer, sms_queued
from tests.casework.safety_net import (
    accept,
    approve,
    assistant,
    grid_worker,
    photo,
    record_visit,
    reject,
    today,
    visit_body,
)
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, village_in

pytestmark = pytest.mark.django_db


def test_a_grid_worker_records_a_home_visit_in_their_community():
    pensioner = PensionerFactory()
    response = record_visit(grid_worker(pensioner.region), pensioner)
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["case_id"])
    assert (case.category, case.source) == (Case.Category.ONSITE_VISIT, Case.Source.SOCIAL_SERVICE)
    assert response.json()["evidence_id"] in [e.pk for e in case.evidence.all()]


def test_a_grid_worker_of_another_community_gets_not_found():
    pensioner = PensionerFactory()
    response = record_visit(grid_worker(village_in("360102", 77)), pensioner)
    assert response.status_code == 404


def test_only_staff_record_counter_certifications():
    pensioner = PensionerFactory()
    response = record_visit(assistant(pensioner.region), pensioner, method="counter")
    assert response.status_code == 403
    assert response.json()["code"] == "staff_only"


def test_staff_who_set_amounts_may_not_record():
    pensioner = PensionerFactory()
    clerk = give_amount_setting(caseworker())
    response = record_visit(clerk, pensioner, method="counter")
    assert response.status_code == 403
    assert response.json()["code"] == "duties_not_separated"


def test_a_retry_returns_the_first_record():
    pensioner = PensionerFactory()
    visitor = assistant(pensioner.region)
    body = visit_body(visitor, pensioner)
    first = client_for(visitor).post("/api/v1/onsite-certifications", body, format="json")
    again = client_for(visitor).post("/api/v1/onsite-certifications", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ProofOfLife.objects.count() == 1


def test_one_photo_backs_one_record_only():
    first, second = PensionerFactory(), None
    second = PensionerFactory(region=first.region)
    visitor = assistant(first.region)
    evidence = photo(visitor)
    assert record_visit(visitor, first, evidence_id=evidence.pk).status_code == 201
    response = record_visit(visitor, second, evidence_id=evidence.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "evidence_already_used"


def test_a_second_record_waits_for_the_first_to_be_decided():
    pensioner = PensionerFactory()
    visitor = assistant(pensioner.region)
    assert record_visit(visitor, pensioner).status_code == 201
    response = record_visit(visitor, pensioner)
    assert response.status_code == 409
    assert response.json()["code"] == "proof_pending"


@pytest.mark.parametrize(("days", "code"), [(-1, "date_in_future"), (45, "visit_too_old")])
def test_the_visit_date_is_checked(days, code):
    pensioner = PensionerFactory()
    seen_on = (today() - datetime.timedelta(days=days)).isoformat()
    response = record_visit(assistant(pensioner.region), pensioner, seen_on=seen_on)
    assert response.status_code == 400
    assert response.json()["code"] == code


def test_an_ended_benefit_cannot_be_certified_on_site():
    pensioner = PensionerFactory(benefit_status="terminated")
    response = record_visit(assistant(pensioner.region), pensioner)
    assert response.status_code == 409
    assert response.json()["code"] == "benefit_ended"


def test_the_face_comparison_is_stored_as_a_hint_and_decides_nothing(monkeypatch):
    monkeypatch.setattr(hooks, "_visit_face_comparer", [lambda p, e: {"status": "compared", "hint": "different"}])
    pensioner = PensionerFactory()
    response = record_visit(assistant(pensioner.region), pensioner, compare_face=True)
    assert response.json()["face_hint"] == {"status": "compared", "hint": "different"}
    assert response.json()["status"] == "pending"
    case = Case.objects.get(pk=response.json()["case_id"])
    assert case.details["reports"][-1]["face_hint"]["hint"] == "different"
    accept(case.pk)
    assert approve(case.pk).status_code == 200  # the reviewer decides, not the hint
    assert Certification.objects.filter(pensioner=pensioner, method="onsite").count() == 1


def test_a_failing_face_comparison_does_not_stop_the_record(monkeypatch):
    def broken(pensioner, evidence):  # type: ignore[no-untyped-def]
        raise RuntimeError("models missing")

    monkeypatch.setattr(hooks, "_visit_face_comparer", [broken])
    pensioner = PensionerFactory()
    response = record_visit(assistant(pensioner.region), pensioner, compare_face=True)
    assert response.status_code == 201
    assert response.json()["face_hint"]["status"] == "unavailable"


def test_approval_certifies_once_and_texts_the_result(sms_test_settings, django_capture_on_commit_callbacks):
    pensioner = PensionerFactory(next_due=today() - datetime.timedelta(days=20))
    response = record_visit(assistant(pensioner.region), pensioner)
    case_id = response.json()["case_id"]
    accept(case_id)
    with django_capture_on_commit_callbacks(execute=True):
        approved = approve(case_id)
    assert approved.json()["details"]["outcome"]["method"] == "onsite"
    proof = ProofOfLife.objects.get(pk=response.json()["id"])
    assert proof.status == "certified"
    assert proof.certification.evidence_ref == f"casework.proof:{proof.pk}"
    pensioner.refresh_from_db()
    assert pensioner.next_due > today()
    assert [sms.recipient for sms in sms_queued(f"certified:{pensioner.pk}:")] == [pensioner.phone]
    actions = set(AuditEvent.objects.filter(target_type="casework.proofoflife").values_list("action", flat=True))
    assert {"proof_of_life.record", "proof_of_life.certify"} <= actions


def test_a_suspended_person_certified_on_site_goes_to_resumption():
    pensioner = PensionerFactory(
        benefit_status="suspended",
        suspension_reason="overdue",
        status_since=today() - datetime.timedelta(days=10),
        next_due=today() - datetime.timedelta(days=40),
    )
    response = record_visit(assistant(pensioner.region), pensioner)
    accept(response.json()["case_id"])
    approve(response.json()["case_id"])
    assert Case.objects.filter(pensioner=pensioner, category=Case.Category.RESUMPTION, status="open").exists()


def test_whoever_recorded_may_not_review():
    pensioner = PensionerFactory()
    earlier = services.case_open(
        pensioner=pensioner, category=Case.Category.ONSITE_VISIT, source=Case.Source.STAFF, opened_by=caseworker()
    )
    clerk = caseworker()
    user_add_role(user=clerk, role=Role.REVIEWER)
    response = record_visit(clerk, pensioner, method="counter", place="窗口")
    assert response.json()["case_id"] == earlier.pk  # joined the open case someone else opened
    accept(earlier.pk)
    refused = approve(earlier.pk, checker=clerk)
    assert refused.status_code == 403
    assert refused.json()["code"] == "maker_checker"


def test_rejection_keeps_the_record_from_counting_and_tells_the_person(sms_test_settings):
    pensioner = PensionerFactory()
    response = record_visit(assistant(pensioner.region), pensioner)
    accept(response.json()["case_id"])
    assert reject(response.json()["case_id"]).status_code == 200
    assert ProofOfLife.objects.get(pk=response.json()["id"]).status == "rejected"
    assert not Certification.objects.filter(pensioner=pensioner).exists()
    (sms,) = sms_queued(f"proof_rejected:{response.json()['id']}")
    assert "刷脸" in sms.text and sms.recipient == pensioner.phone


def test_without_a_phone_the_relatives_hear_the_rejection(sms_test_settings):
    pensioner = PensionerFactory(phone=None)
    link = RelativeLinkFactory(pensioner=pensioner)
    response = record_visit(assistant(pensioner.region), pensioner)
    accept(response.json()["case_id"])
    reject(response.json()["case_id"])
    (sms,) = sms_queued(f"proof_rejected:{response.json()['id']}:u")
    assert sms.recipient == link.relative.phone
    assert pensioner.name not in sms.text  # masked


def test_the_recorder_and_staff_in_scope_read_the_record_others_do_not():
    pensioner = PensionerFactory()
    visitor = assistant(pensioner.region)
    proof_id = record_visit(visitor, pensioner).json()["id"]
    assert client_for(visitor).get(f"/api/v1/onsite-certifications/{proof_id}").status_code == 200
    assert client_for(reviewer()).get(f"/api/v1/onsite-certifications/{proof_id}").status_code == 200
    other = assistant(village_in("360102", 88))
    assert client_for(other).get(f"/api/v1/onsite-certifications/{proof_id}").status_code == 404


# --- abroad ---------------------------------------------------------------------------------


def life_certificate(user, pensioner: Pensioner, **overrides):  # type: ignore[no-untyped-def]
    issued = today() - datetime.timedelta(days=30)
    body = {
        "pensioner_id": pensioner.pk,
        "document_no": "SC-0001",
        "consulate": "中国驻温哥华总领事馆",
        "issued_on": issued.isoformat(),
        "valid_until": (issued + datetime.timedelta(days=180)).isoformat(),
        "evidence_id": photo(user).pk,
        "client_request_id": request_id(),
        **overrides,
    }
    return client_for(user).post("/api/v1/life-certificates", body, format="json")


def test_an_expired_life_certificate_is_refused():
    pensioner = PensionerFactory()
    response = life_certificate(caseworker(), pensioner, valid_until=(today() - datetime.timedelta(days=1)).isoformat())
    assert response.status_code == 400
    assert response.json()["code"] == "life_certificate_invalid"


def test_village_assistants_do_not_record_life_certificates():
    pensioner = PensionerFactory()
    response = life_certificate(assistant(pensioner.region), pensioner)
    assert response.status_code == 403


def test_a_life_certificate_opens_its_own_case_and_certifies_as_of_issue():
    pensioner = PensionerFactory(next_due=today() - datetime.timedelta(days=5))
    response = life_certificate(caseworker(), pensioner)
    assert response.status_code == 201, response.json()
    case = Case.objects.get(pk=response.json()["case_id"])
    assert case.category == Case.Category.LIFE_CERTIFICATE
    accept(case.pk)
    approve(case.pk)
    certification = Certification.objects.get(pensioner=pensioner)
    assert certification.certified_at.date() <= today() - datetime.timedelta(days=29)
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == Pensioner.BenefitStatus.ACTIVE
