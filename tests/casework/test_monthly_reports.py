import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import AuditEvent, Pensioner
from accounts.roles import Role
from casework.models import Case, CaseNote, MonthlyReport
from casework.services import monthly_report_due_on
from tests.casework.factories import OTHER_COUNTY, caseworker, evidence_for, request_id, staff
from tests.conftest import client_for
from tests.factories import PensionerFactory, RegionFactory, UserFactory, VillageAssignmentFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(year, month, day, hour=10, minute=0):
    return time_machine.travel(datetime.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI), tick=False)


@pytest.fixture
def assignment():
    return VillageAssignmentFactory()


@pytest.fixture
def assistant(assignment):
    return assignment.user


@pytest.fixture
def village(assignment):
    return assignment.village


def submit(client, village, period="2026-10", *, is_zero=True, items=(), rid=None):
    body = {
        "village_id": village.pk,
        "period": period,
        "is_zero": is_zero,
        "items": list(items),
        "client_request_id": rid or request_id(),
    }
    return client.post("/api/v1/monthly-reports", body, format="json")


def item(pensioner, event="death", date="2026-10-12", **extra):
    return {"pensioner_id": pensioner.pk, "event": event, "event_date": date, **extra}


# --- zero reports and uniqueness -----------------------------------------------------------


def test_a_zero_report_is_filed_with_no_items(assistant, village):
    with at(2026, 11, 2):
        response = submit(client_for(assistant), village)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_zero"] is True
    assert body["items"] == []
    assert body["version"] == 1
    assert body["due_on"] == "2026-11-05"
    assert body["is_late"] is False


def test_a_zero_report_cannot_list_anyone(assistant, village):
    pensioner = PensionerFactory(region=village)
    with at(2026, 11, 2):
        response = submit(client_for(assistant), village, items=[item(pensioner)])
    assert response.status_code == 400
    assert response.json()["code"] == "zero_report_has_items"


def test_a_report_that_is_not_zero_must_list_someone(assistant, village):
    with at(2026, 11, 2):
        response = submit(client_for(assistant), village, is_zero=False)
    assert response.status_code == 400
    assert response.json()["code"] == "report_empty"


def test_only_one_report_per_village_and_month(assistant, village):
    client = client_for(assistant)
    with at(2026, 11, 2):
        first = submit(client, village)
        second = submit(client, village)
    assert second.status_code == 409
    assert second.json()["code"] == "report_exists"
    assert second.json()["report_id"] == first.json()["id"]
    assert MonthlyReport.objects.count() == 1


def test_a_second_assistant_of_the_same_village_also_gets_report_exists(assistant, village):
    other = VillageAssignmentFactory(village=village).user
    with at(2026, 11, 2):
        submit(client_for(assistant), village)
        response = submit(client_for(other), village)
    assert response.status_code == 409


def test_a_retry_with_the_same_request_id_returns_the_first_report(assistant, village):
    client = client_for(assistant)
    rid = request_id()
    with at(2026, 11, 2):
        first = submit(client, village, rid=rid)
        again = submit(client, village, rid=rid)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert MonthlyReport.objects.count() == 1


def test_the_next_month_is_a_separate_report(assistant, village):
    client = client_for(assistant)
    with at(2026, 12, 2):
        assert submit(client, village, "2026-10").status_code == 201
        assert submit(client, village, "2026-11").status_code == 201


def test_a_future_month_cannot_be_reported(assistant, village):
    with at(2026, 11, 2):
        response = submit(client_for(assistant), village, "2026-12")
    assert response.status_code == 400
    assert response.json()["code"] == "period_in_future"


def test_a_malformed_month_answers_the_error_shape(assistant, village):
    response = submit(client_for(assistant), village, "2026-13")
    assert response.status_code == 400
    assert "period" in response.json()["fields"]


def test_only_an_assistant_of_the_village_can_file(village):
    with at(2026, 11, 2):
        other_assistant = VillageAssignmentFactory(village=RegionFactory()).user
        assert submit(client_for(other_assistant), village).status_code == 404
        assert submit(client_for(caseworker()), village).status_code == 404


# --- lateness ------------------------------------------------------------------------------


def test_due_on_is_the_fifth_of_the_next_month_by_default():
    assert monthly_report_due_on(datetime.date(2026, 10, 1)) == datetime.date(2026, 11, 5)
    assert monthly_report_due_on(datetime.date(2026, 12, 1)) == datetime.date(2027, 1, 5)


def test_the_due_day_is_configurable_and_clamped_to_the_month(settings):
    settings.CASEWORK_MONTHLY_REPORT_DUE_DAY = 31
    assert monthly_report_due_on(datetime.date(2026, 1, 1)) == datetime.date(2026, 2, 28)
    settings.CASEWORK_MONTHLY_REPORT_DUE_DAY = 10
    assert monthly_report_due_on(datetime.date(2026, 10, 1)) == datetime.date(2026, 11, 10)


def test_filed_late_on_the_due_day_evening_is_on_time(assistant, village):
    with at(2026, 11, 5, 23, 59):
        assert submit(client_for(assistant), village).json()["is_late"] is False


def test_filed_after_the_due_day_is_late(assistant, village):
    with at(2026, 11, 6, 0, 1):
        assert submit(client_for(assistant), village).json()["is_late"] is True


def test_an_amendment_after_the_deadline_does_not_make_an_on_time_report_late(assistant, village):
    client = client_for(assistant)
    with at(2026, 11, 3):
        first = submit(client, village).json()
    pensioner = PensionerFactory(region=village)
    with at(2026, 11, 20):
        amended = amend(client, first["id"], is_zero=False, items=[item(pensioner, "missing")]).json()
    assert amended["is_late"] is False


def test_staff_see_on_time_late_missing_and_not_due_villages():
    county_staff = caseworker()
    on_time, late, missing = (VillageAssignmentFactory() for _ in range(3))
    with at(2026, 11, 4):
        submit(client_for(on_time.user), on_time.village)
    with at(2026, 11, 9):
        submit(client_for(late.user), late.village)
        response = client_for(county_staff).get("/api/v1/monthly-reports/status", {"period": "2026-10"})
        not_due = client_for(county_staff).get("/api/v1/monthly-reports/status", {"period": "2026-11"})
    assert response.status_code == 200, response.json()
    states = {row["village_id"]: row["state"] for row in response.json()["villages"]}
    assert states[on_time.village.pk] == "on_time"
    assert states[late.village.pk] == "late"
    assert states[missing.village.pk] == "missing"
    assert response.json()["counts"]["missing"] >= 1
    assert {row["state"] for row in not_due.json()["villages"]} == {"not_due"}


def test_the_status_view_can_list_only_missing_villages():
    county_staff = caseworker()
    filed, silent = VillageAssignmentFactory(), VillageAssignmentFactory()
    with at(2026, 11, 4):
        submit(client_for(filed.user), filed.village)
    with at(2026, 11, 9):
        body = (
            client_for(county_staff)
            .get("/api/v1/monthly-reports/status", {"period": "2026-10", "state": "missing"})
            .json()
        )
    ids = {row["village_id"] for row in body["villages"]}
    assert silent.village.pk in ids
    assert filed.village.pk not in ids


def test_the_status_view_is_limited_to_my_area():
    outside = caseworker(region_code=OTHER_COUNTY)
    VillageAssignmentFactory()
    with at(2026, 11, 9):
        body = client_for(outside).get("/api/v1/monthly-reports/status", {"period": "2026-10"}).json()
        assert body["villages"] == []
        response = client_for(outside).get("/api/v1/monthly-reports/status", {"region": "360102000000"})
    assert response.status_code == 404


def test_the_status_view_is_for_staff_only(assistant):
    assert client_for(assistant).get("/api/v1/monthly-reports/status").status_code == 404


def test_assistants_see_their_villages_deadline_and_state(assistant, village):
    with at(2026, 11, 3):
        before = client_for(assistant).get("/api/v1/assistant/villages").json()
        submit(client_for(assistant), village)
        after = client_for(assistant).get("/api/v1/assistant/villages").json()
    assert before == [
        {
            "village_id": village.pk,
            "village_code": village.code,
            "village_name": village.name,
            "period": "2026-10",
            "due_on": "2026-11-05",
            "state": "not_due",
            "report_id": None,
            "report_version": None,
            "is_zero": None,
        }
    ]
    assert after[0]["state"] == "on_time"
    assert after[0]["is_zero"] is True


# --- items, cases, amendments --------------------------------------------------------------


def test_each_item_opens_a_case_and_a_death_holds_payment(assistant, village):
    dead, jailed = PensionerFactory(region=village), PensionerFactory(region=village)
    with at(2026, 11, 2):
        response = submit(
            client_for(assistant),
            village,
            is_zero=False,
            items=[item(dead, "death"), item(jailed, "imprisonment", "2026-10-03")],
        )
    assert response.status_code == 201, response.json()
    cases = {c.pensioner_id: c for c in Case.objects.all()}
    assert cases[dead.pk].category == Case.Category.SUSPECTED_DEATH
    assert cases[dead.pk].source == Case.Source.VILLAGE_REPORT
    assert cases[jailed.pk].category == Case.Category.IMPRISONED
    dead.refresh_from_db()
    jailed.refresh_from_db()
    assert dead.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT
    assert jailed.benefit_status == Pensioner.BenefitStatus.ACTIVE
    assert {i["case_id"] for i in response.json()["items"]} == {c.pk for c in cases.values()}


def test_an_item_joins_a_case_already_open_for_the_person(assistant, village):
    pensioner = PensionerFactory(region=village)
    with at(2026, 11, 2):
        from casework.services import case_open

        existing = case_open(pensioner=pensioner, category="missing", source="staff")
        body = submit(client_for(assistant), village, is_zero=False, items=[item(pensioner, "missing")]).json()
    assert body["items"][0]["case_id"] == existing.pk
    assert Case.objects.count() == 1


@pytest.mark.parametrize("problem", ["other_village", "listed_twice", "future_date", "ended_benefit", "unknown"])
def test_bad_items_are_refused_with_the_field_named(assistant, village, problem):
    pensioner = PensionerFactory(region=village)
    items = [item(pensioner)]
    if problem == "other_village":
        items = [item(PensionerFactory())]
    elif problem == "listed_twice":
        items = [item(pensioner), item(pensioner)]
    elif problem == "future_date":
        items = [item(pensioner, date="2026-12-01")]
    elif problem == "ended_benefit":
        items = [item(PensionerFactory(region=village, benefit_status="terminated"))]
    elif problem == "unknown":
        items = [{"pensioner_id": 999999, "event": "death", "event_date": "2026-10-01"}]
    with at(2026, 11, 2):
        response = submit(client_for(assistant), village, is_zero=False, items=items)
    assert response.status_code == 400
    assert any(key.startswith("items[") for key in response.json()["fields"])
    assert not MonthlyReport.objects.exists()
    assert not Case.objects.exists()


def test_item_evidence_goes_to_the_case(assistant, village):
    pensioner = PensionerFactory(region=village)
    evidence = evidence_for(assistant)
    with at(2026, 11, 2):
        body = submit(
            client_for(assistant), village, is_zero=False, items=[item(pensioner, evidence_ids=[evidence.pk])]
        ).json()
    assert body["items"][0]["evidence_ids"] == [evidence.pk]
    assert list(Case.objects.get().evidence.all()) == [evidence]


def amend(client, report_id, *, is_zero=True, items=(), rid=None):
    body = {"is_zero": is_zero, "items": list(items), "client_request_id": rid or request_id()}
    return client.post(f"/api/v1/monthly-reports/{report_id}/amend", body, format="json")


def test_amending_creates_a_new_version_and_keeps_the_old_one(assistant, village):
    client = client_for(assistant)
    pensioner = PensionerFactory(region=village)
    with at(2026, 11, 2):
        first = submit(client, village).json()
        second = amend(client, first["id"], is_zero=False, items=[item(pensioner, "missing")])
    assert second.status_code == 201, second.json()
    assert second.json()["version"] == 2
    assert second.json()["amends_id"] == first["id"]
    old = MonthlyReport.objects.get(pk=first["id"])
    assert old.is_current is False
    assert old.is_zero is True
    assert old.items.count() == 0
    assert client.get(f"/api/v1/monthly-reports/{first['id']}").json()["is_zero"] is True
    assert AuditEvent.objects.filter(action="monthly_report.amend").count() == 1


def test_amending_a_superseded_version_is_a_conflict(assistant, village):
    client = client_for(assistant)
    with at(2026, 11, 2):
        first = submit(client, village).json()
        amend(client, first["id"])
        response = amend(client, first["id"])
    assert response.status_code == 409
    assert response.json()["code"] == "report_superseded"


def test_an_amendment_retry_is_idempotent(assistant, village):
    client = client_for(assistant)
    rid = request_id()
    with at(2026, 11, 2):
        first = submit(client, village).json()
        a = amend(client, first["id"], rid=rid)
        b = amend(client, first["id"], rid=rid)
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["id"] == b.json()["id"]
    assert MonthlyReport.objects.count() == 2


def test_an_unchanged_item_keeps_its_case_and_a_withdrawn_one_gets_a_note(assistant, village):
    client = client_for(assistant)
    kept, withdrawn = PensionerFactory(region=village), PensionerFactory(region=village)
    with at(2026, 11, 2):
        first = submit(
            client, village, is_zero=False, items=[item(kept, "missing"), item(withdrawn, "moved_away")]
        ).json()
        second = amend(client, first["id"], is_zero=False, items=[item(kept, "missing")]).json()
    assert second["items"][0]["case_id"] == first["items"][0]["case_id"]
    assert Case.objects.count() == 2
    withdrawn_case = Case.objects.get(pensioner=withdrawn)
    assert CaseNote.objects.filter(case=withdrawn_case, text__contains="2").exists()


def test_someone_else_cannot_amend(assistant, village):
    with at(2026, 11, 2):
        first = submit(client_for(assistant), village).json()
        response = amend(client_for(VillageAssignmentFactory().user), first["id"])
    assert response.status_code == 404


# --- my reports and my villages' pensioners ------------------------------------------------


def test_my_reports_lists_every_version_of_my_villages_only(assistant, village):
    client = client_for(assistant)
    with at(2026, 11, 2):
        first = submit(client, village).json()
        amend(client, first["id"])
        other = VillageAssignmentFactory()
        submit(client_for(other.user), other.village)
        listing = client.get("/api/v1/monthly-reports").json()
        current = client.get("/api/v1/monthly-reports", {"current_only": "true"}).json()
    assert [r["version"] for r in listing["results"]] == [2, 1]
    assert [r["version"] for r in current["results"]] == [2]


def test_staff_read_reports_in_their_area():
    filed = VillageAssignmentFactory()
    with at(2026, 11, 2):
        report_id = submit(client_for(filed.user), filed.village).json()["id"]
    assert client_for(caseworker()).get(f"/api/v1/monthly-reports/{report_id}").status_code == 200
    outside = caseworker(region_code=OTHER_COUNTY)
    assert client_for(outside).get(f"/api/v1/monthly-reports/{report_id}").status_code == 404


def test_assistant_pensioners_are_my_villages_only_and_paginated(assistant, village):
    mine = [PensionerFactory(region=village) for _ in range(3)]
    PensionerFactory()  # another village
    body = client_for(assistant).get("/api/v1/assistant/pensioners", {"page_size": 2}).json()
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert {p["id"] for p in body["results"]} <= {p.pk for p in mine}
    assert "*" in body["results"][0]["id_number_masked"]


def test_assistant_pensioners_search_by_name_or_last_id_digits(assistant, village):
    target = PensionerFactory(region=village, name="王秀英")
    PensionerFactory(region=village, name="李建国")
    client = client_for(assistant)
    by_name = client.get("/api/v1/assistant/pensioners", {"search": "秀英"}).json()
    by_digits = client.get("/api/v1/assistant/pensioners", {"search": target.id_number[-4:]}).json()
    assert [p["id"] for p in by_name["results"]] == [target.pk]
    assert target.pk in [p["id"] for p in by_digits["results"]]


def test_terminated_pensioners_are_hidden_unless_asked(assistant, village):
    ended = PensionerFactory(region=village, benefit_status="terminated")
    client = client_for(assistant)
    assert client.get("/api/v1/assistant/pensioners").json()["count"] == 0
    assert client.get("/api/v1/assistant/pensioners", {"include_ended": "true"}).json()["results"][0]["id"] == ended.pk


def test_assistant_pensioners_is_empty_for_non_assistants():
    PensionerFactory()
    assert client_for(UserFactory(roles=[Role.RELATIVE])).get("/api/v1/assistant/pensioners").json()["count"] == 0
    assert client_for(staff(Role.CASEWORKER)).get("/api/v1/assistant/pensioners").json()["count"] == 0


def test_a_search_that_is_too_long_answers_the_error_shape(assistant):
    response = client_for(assistant).get("/api/v1/assistant/pensioners", {"search": "x" * 60})
    assert response.status_code == 400
    assert "search" in response.json()["fields"]
