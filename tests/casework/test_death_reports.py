import datetime

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Pensioner, RelativeLink
from casework.models import Case, DeathReport
from selfservice.models import BenefitHold
from tests.casework.factories import (
    OTHER_COUNTY,
    caseworker,
    evidence_for,
    request_id,
    sms_queued,
    staff,
)
from tests.conftest import client_for
from tests.factories import PensionerFactory, RegionFactory, RelativeLinkFactory, VillageAssignmentFactory

pytestmark = pytest.mark.django_db


def yesterday() -> str:
    return (timezone.localdate() - datetime.timedelta(days=1)).isoformat()


def report(client, pensioner, **overrides):
    body = {
        "pensioner_id": pensioner.pk,
        "date_of_death": yesterday(),
        "place": "家中",
        "client_request_id": request_id(),
        **overrides,
    }
    return client.post("/api/v1/death-reports", body, format="json")


@pytest.fixture
def relative_link():
    return RelativeLinkFactory()


def test_a_relative_reports_a_death_and_payment_is_held_at_once(relative_link):
    pensioner = relative_link.pensioner
    response = report(client_for(relative_link.relative), pensioner)
    assert response.status_code == 201, response.json()
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == Pensioner.BenefitStatus.SUSPENDED
    assert pensioner.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT
    case = Case.objects.get(pk=response.json()["case_id"])
    assert case.category == Case.Category.SUSPECTED_DEATH
    assert case.source == Case.Source.RELATIVE
    assert case.status == Case.Status.OPEN
    assert response.json()["relationship"] == relative_link.relationship


def test_the_case_summary_gives_the_date_of_death_as_staff_read_it(relative_link):
    response = report(client_for(relative_link.relative), relative_link.pensioner, date_of_death="2026-10-09")
    case = Case.objects.get(pk=response.json()["case_id"])
    assert case.summary == "报告于2026年10月9日死亡"  # stored as written, in the service's language


def test_the_reporter_gets_an_acknowledgement_sms(relative_link):
    response = report(client_for(relative_link.relative), relative_link.pensioner)
    acks = sms_queued(f"death_report_ack:c{response.json()['case_id']}:u{relative_link.relative.pk}")
    assert len(acks) == 1
    assert acks[0].recipient == relative_link.relative.phone
    assert str(response.json()["case_id"]) in acks[0].text
    assert "死亡" in acks[0].text


def test_a_retry_with_the_same_request_id_returns_the_first_report(relative_link):
    client = client_for(relative_link.relative)
    rid = request_id()
    first = report(client, relative_link.pensioner, client_request_id=rid)
    second = report(client, relative_link.pensioner, client_request_id=rid, place="医院")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["place"] == "家中"
    assert DeathReport.objects.count() == 1
    assert len(sms_queued("death_report_ack:")) == 1


def test_reusing_a_request_id_for_another_pensioner_is_a_conflict(relative_link):
    other = RelativeLinkFactory(relative=relative_link.relative)
    client = client_for(relative_link.relative)
    rid = request_id()
    report(client, relative_link.pensioner, client_request_id=rid)
    response = report(client, other.pensioner, client_request_id=rid)
    assert response.status_code == 409
    assert response.json()["code"] == "request_id_reused"


def test_a_second_report_joins_the_open_case(relative_link):
    assistant = VillageAssignmentFactory(village=relative_link.pensioner.region).user
    first = report(client_for(relative_link.relative), relative_link.pensioner).json()
    second = report(client_for(assistant), relative_link.pensioner).json()
    assert second["case_id"] == first["case_id"]
    assert second["capacity"] == "village_assistant"
    case = Case.objects.get()
    assert len(case.details["reports"]) == 2
    holds = BenefitHold.objects.filter(cause=f"case:{case.pk}")
    assert [hold.previous_status for hold in holds] == ["active"]  # held once, by the first report


def test_staff_in_scope_may_report():
    pensioner = PensionerFactory()
    response = report(client_for(caseworker()), pensioner)
    assert response.status_code == 201
    assert response.json()["capacity"] == "staff"


@pytest.mark.parametrize("who", ["pending_relative", "revoked_relative", "other_village_assistant", "outside_staff"])
def test_people_without_a_right_to_report_get_not_found(who):
    pensioner = PensionerFactory()
    if who in ("pending_relative", "revoked_relative"):
        status = RelativeLink.Status.PENDING if who == "pending_relative" else RelativeLink.Status.REVOKED
        user = RelativeLinkFactory(pensioner=pensioner, status=status).relative
    elif who == "other_village_assistant":
        user = VillageAssignmentFactory(village=RegionFactory()).user
    else:
        user = caseworker(region_code=OTHER_COUNTY)
    response = report(client_for(user), pensioner)
    assert response.status_code == 404
    assert not Case.objects.exists()
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == Pensioner.BenefitStatus.ACTIVE


def test_a_date_of_death_in_the_future_is_refused(relative_link):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = report(client_for(relative_link.relative), relative_link.pensioner, date_of_death=tomorrow)
    assert response.status_code == 400
    assert "date_of_death" in response.json()["fields"]


def test_a_date_of_death_before_birth_is_refused(relative_link):
    before = (relative_link.pensioner.birth_date - datetime.timedelta(days=1)).isoformat()
    response = report(client_for(relative_link.relative), relative_link.pensioner, date_of_death=before)
    assert response.status_code == 400
    assert response.json()["code"] == "date_before_birth"


def test_reporting_an_ended_benefit_is_a_conflict():
    link = RelativeLinkFactory(
        pensioner=PensionerFactory(benefit_status="terminated", deceased_on=datetime.date(2024, 1, 1))
    )
    response = report(client_for(link.relative), link.pensioner)
    assert response.status_code == 409
    assert response.json()["code"] == "benefit_ended"


def test_missing_fields_answer_the_error_shape(relative_link):
    response = client_for(relative_link.relative).post("/api/v1/death-reports", {"place": ""}, format="json")
    assert response.status_code == 400
    assert {"pensioner_id", "date_of_death", "client_request_id"} <= set(response.json()["fields"])


def test_evidence_is_attached_to_the_report_and_the_case(relative_link):
    evidence = evidence_for(relative_link.relative)
    body = report(client_for(relative_link.relative), relative_link.pensioner, evidence_ids=[evidence.pk]).json()
    assert body["evidence_ids"] == [evidence.pk]
    assert list(Case.objects.get().evidence.all()) == [evidence]


def test_someone_elses_evidence_cannot_be_attached(relative_link):
    evidence = evidence_for(staff("caseworker"))
    response = report(client_for(relative_link.relative), relative_link.pensioner, evidence_ids=[evidence.pk])
    assert response.status_code == 400
    assert response.json()["code"] == "evidence_not_found"
    assert not DeathReport.objects.exists()


def test_the_report_and_the_hold_are_audited(relative_link):
    report(client_for(relative_link.relative), relative_link.pensioner)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"death_report.submit", "case.open", "pensioner.hold"} <= actions


def test_i_can_list_and_read_my_reports_but_not_others(relative_link):
    client = client_for(relative_link.relative)
    created = report(client, relative_link.pensioner).json()
    listing = client.get("/api/v1/death-reports").json()
    assert [r["id"] for r in listing["results"]] == [created["id"]]
    assert client.get(f"/api/v1/death-reports/{created['id']}").status_code == 200
    stranger = client_for(RelativeLinkFactory().relative)
    assert stranger.get(f"/api/v1/death-reports/{created['id']}").status_code == 404


def test_more_reports_of_the_same_death_send_one_acknowledgement_per_reporter(relative_link):
    client = client_for(relative_link.relative)
    responses = [report(client, relative_link.pensioner) for _ in range(5)]
    assert [r.status_code for r in responses] == [201] * 5
    assert DeathReport.objects.count() == 5
    assert len(sms_queued("death_report_ack:")) == 1


def test_a_second_reporter_of_the_same_death_gets_their_own_acknowledgement(relative_link):
    other = RelativeLinkFactory(pensioner=relative_link.pensioner)
    report(client_for(relative_link.relative), relative_link.pensioner)
    report(client_for(other.relative), relative_link.pensioner)
    assert {sms.recipient for sms in sms_queued("death_report_ack:")} == {
        relative_link.relative.phone,
        other.relative.phone,
    }
