"""Issue 12: every road to the safety net was a dead end. One test per dead end, written to fail on
the code before the safety net existed, through the API as a new user would meet it."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Pensioner
from accounts.roles import Role
from casework import services
from casework.models import Case
from facecheck.models import FaceAttempt
from selfservice.models import Certification
from selfservice.selectors import certification_status
from tests.casework.factories import (
    caseworker,
    evidence_for,
    jpeg_bytes,
    request_id,
    reviewer,
    sms_queued,
    staff,
)
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, VillageAssignmentFactory, pensioner_user

pytestmark = pytest.mark.django_db
TODAY = datetime.date.today


def confirm(case_id: int) -> tuple[object, object]:
    """受理 by one caseworker and 审核 by another person, through the API."""
    maker, checker = caseworker(), reviewer()
    accepted = client_for(maker).post(f"/api/v1/cases/{case_id}/accept", {}, format="json")
    assert accepted.status_code == 200, accepted.json()
    return maker, client_for(checker).post(f"/api/v1/cases/{case_id}/approve", {}, format="json")


def review_case(pensioner: Pensioner, *, method: str = "face", minutes_ago: int = 90) -> tuple[Case, FaceAttempt]:
    """A selfie sent to staff review, stored as facecheck stores it (attempt + face_review case)."""
    actor = pensioner.user or pensioner_user(pensioner)
    attempt = FaceAttempt.objects.create(
        pensioner=pensioner,
        actor=actor,
        method=method,
        result=FaceAttempt.Result.REVIEW,
        reason="borderline",
        score=0.41,
        created_at=timezone.now() - datetime.timedelta(minutes=minutes_ago),
    )
    case = services.case_open(
        pensioner=pensioner,
        category=Case.Category.FACE_REVIEW,
        source=Case.Source.FACE_CHECK,
        summary="A face certification needs a staff check.",
        details={"attempt": str(attempt.public_id), "reason": "borderline", "score": 0.41, "method": method},
    )
    attempt.case = case
    attempt.save(update_fields=["case"])
    return case, attempt


# --- face review: the person was told "the result will show on your status page" -------------


def test_approving_a_face_review_certifies_from_the_reviewed_attempt():
    pensioner = PensionerFactory(next_due=TODAY() - datetime.timedelta(days=3))
    case, attempt = review_case(pensioner)
    _maker, response = confirm(case.pk)
    assert response.status_code == 200, response.json()
    certification = Certification.objects.get(pensioner=pensioner)
    assert certification.method == "face"
    assert certification.certified_at == attempt.created_at
    pensioner.refresh_from_db()
    assert pensioner.next_due > TODAY()
    assert certification_status(pensioner=pensioner).state == "certified"


def test_approving_a_proxy_face_review_certifies_as_proxy_face():
    pensioner = PensionerFactory()
    case, _attempt = review_case(pensioner, method="proxy_face")
    confirm(case.pk)
    assert Certification.objects.get(pensioner=pensioner).method == "proxy_face"


def test_rejecting_a_face_review_tells_the_person_the_next_step(sms_test_settings):
    pensioner = PensionerFactory()
    case, _attempt = review_case(pensioner)
    client_for(caseworker()).post(f"/api/v1/cases/{case.pk}/accept", {}, format="json")
    response = client_for(reviewer()).post(f"/api/v1/cases/{case.pk}/reject", {"note": "另一人"}, format="json")
    assert response.status_code == 200, response.json()
    (sms,) = sms_queued(f"face_review_rejected:{case.pk}")
    assert sms.recipient == pensioner.phone
    assert "亲属" in sms.text and "上门" in sms.text and "窗口" in sms.text
    assert not Certification.objects.filter(pensioner=pensioner).exists()


# --- on-site and counter: nobody could record one ------------------------------------------------


def test_approving_an_onsite_visit_case_without_a_visit_record_is_refused():
    pensioner = PensionerFactory()
    case = services.case_open(pensioner=pensioner, category=Case.Category.ONSITE_VISIT, source=Case.Source.STAFF)
    _maker, response = confirm(case.pk)
    assert response.status_code == 409
    assert response.json()["code"] == "visit_record_required"
    assert not Certification.objects.filter(pensioner=pensioner).exists()


def visit_body(user, pensioner: Pensioner, **overrides) -> dict:
    evidence = evidence_for(user, jpeg_bytes((41, 31)))
    return {
        "pensioner_id": pensioner.pk,
        "method": "onsite",
        "place": "家中",
        "seen_on": TODAY().isoformat(),
        "evidence_id": evidence.pk,
        "client_request_id": request_id(),
        **overrides,
    }


def test_a_village_assistant_records_a_home_visit_and_two_staff_confirm_it():
    pensioner = PensionerFactory(next_due=TODAY() - datetime.timedelta(days=40))
    assistant = VillageAssignmentFactory(village=pensioner.region).user
    response = client_for(assistant).post(
        "/api/v1/onsite-certifications", visit_body(assistant, pensioner), format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    assert not Certification.objects.filter(pensioner=pensioner).exists()  # not before staff confirm
    _maker, approved = confirm(response.json()["case_id"])
    assert approved.status_code == 200, approved.json()
    certification = Certification.objects.get(pensioner=pensioner)
    assert certification.method == "onsite"
    assert certification.recorded_by_id is not None


def test_staff_record_a_counter_certification():
    pensioner = PensionerFactory()
    clerk = caseworker()
    response = client_for(clerk).post(
        "/api/v1/onsite-certifications",
        visit_body(clerk, pensioner, method="counter", place="区社保窗口"),
        format="json",
    )
    assert response.status_code == 201, response.json()
    confirm(response.json()["case_id"])
    assert Certification.objects.get(pensioner=pensioner).method == "counter"


def test_recording_needs_the_record_certification_permission():
    pensioner = PensionerFactory()
    checker = reviewer()  # in scope, but reviewers do not hold accounts.record_certification
    assert not checker.has_perm("accounts.record_certification")
    response = client_for(checker).post("/api/v1/onsite-certifications", visit_body(checker, pensioner), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "record_certification_required"


def test_grid_workers_are_a_role():
    assert Role("grid_worker")


# --- abroad: the consulate's life certificate could not be recorded --------------------------


def test_staff_record_a_consulate_life_certificate_and_it_certifies_after_confirmation():
    pensioner = PensionerFactory(next_due=TODAY() - datetime.timedelta(days=10))
    clerk = caseworker()
    evidence = evidence_for(clerk, jpeg_bytes((43, 33)))
    issued = TODAY() - datetime.timedelta(days=20)
    response = client_for(clerk).post(
        "/api/v1/life-certificates",
        {
            "pensioner_id": pensioner.pk,
            "document_no": "LC-2026-0012",
            "consulate": "中国驻悉尼总领事馆",
            "issued_on": issued.isoformat(),
            "valid_until": (issued + datetime.timedelta(days=180)).isoformat(),
            "evidence_id": evidence.pk,
            "client_request_id": request_id(),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    confirm(response.json()["case_id"])
    certification = Certification.objects.get(pensioner=pensioner)
    assert timezone.localdate(certification.certified_at) == issued


# --- nobody was routed to the net ----------------------------------------------------------------


def test_people_long_overdue_get_a_visit_task_their_assistant_sees(settings):
    from casework.services.visits import visit_queue_build

    settings.CASEWORK_VISIT_OVERDUE_DAYS = 14
    late = PensionerFactory(next_due=TODAY() - datetime.timedelta(days=20))
    PensionerFactory(next_due=TODAY() - datetime.timedelta(days=3), region=late.region)  # not yet
    assistant = VillageAssignmentFactory(village=late.region).user
    visit_queue_build(today=TODAY())
    response = client_for(assistant).get("/api/v1/visits")
    assert response.status_code == 200
    assert [row["pensioner"]["id"] for row in response.json()["results"]] == [late.pk]


# --- also seen --------------------------------------------------------------------------------


def test_a_hold_lifted_with_nothing_withheld_does_not_mention_zero_yuan(sms_test_settings):
    link = RelativeLinkFactory()
    report, _created = services.death_report_submit(
        reporter=link.relative,
        pensioner_id=link.pensioner.pk,
        date_of_death=TODAY() - datetime.timedelta(days=1),
        place="家中",
        client_request_id=request_id(),
    )
    services.case_accept(case=report.case, actor=caseworker())
    services.case_reject(case=report.case, actor=reviewer(), note="本人健在")
    (sms,) = sms_queued(f"hold_lifted:{report.case.pk}")
    assert "0.00" not in sms.text
    assert "恢复" in sms.text


def test_case_texts_have_no_stray_spaces_around_names(sms_test_settings):
    link = RelativeLinkFactory()
    report, _created = services.death_report_submit(
        reporter=link.relative,
        pensioner_id=link.pensioner.pk,
        date_of_death=TODAY() - datetime.timedelta(days=1),
        place="家中",
        client_request_id=request_id(),
    )
    (ack,) = sms_queued(f"death_report_ack:c{report.case_id}:u{link.relative.pk}")
    assert f"您报告的{link.pensioner.name}死亡" in ack.text


def test_the_death_report_hold_tells_the_person_how_to_contest_it():
    pensioner = PensionerFactory(benefit_status="suspended", suspension_reason="death_report")
    display = certification_status(pensioner=pensioner).display
    text = str(display.sentence)
    assert "去世" in text or "死亡" in text
    assert "刷脸" in text  # the quickest way to show it is a mistake


def test_staff_in_another_county_cannot_record_for_this_pensioner():
    pensioner = PensionerFactory()
    outsider = staff(Role.CASEWORKER, region_code="360121000000")
    response = client_for(outsider).post(
        "/api/v1/onsite-certifications", visit_body(outsider, pensioner), format="json"
    )
    assert response.status_code == 404
