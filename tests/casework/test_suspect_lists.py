"""Monthly suspect lists to the villages and the assistant's answers, which feed the usual flows."""

import datetime

import pytest

from casework import hooks, services
from casework.models import Case, CaseNote, DeathReport, ProofOfLife, SuspectList, VisitTask
from casework.services.suspect_lists import suspect_lists_build
from tests.casework.factories import caseworker, sms_queued
from tests.casework.safety_net import assistant, photo, today
from tests.conftest import client_for
from tests.factories import PensionerFactory, village_in

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def village_list(sms_test_settings):  # type: ignore[no-untyped-def]
    village = village_in("360102", 11)
    helper = assistant(village)
    overdue = PensionerFactory(region=village, next_due=today() - 3 * DAY)
    flagged = PensionerFactory(region=village)
    data_case = services.case_open(
        pensioner=flagged, category=Case.Category.SUSPECTED_DEATH, source=Case.Source.DATA_COMPARISON
    )
    PensionerFactory(region=village)  # nothing wrong: not listed
    suspect_lists_build(today=today())
    return {"village": village, "assistant": helper, "overdue": overdue, "flagged": flagged, "case": data_case}


def entry_for(body: dict, pensioner) -> dict:  # type: ignore[no-untyped-def]
    return next(entry for entry in body["entries"] if entry["pensioner"]["id"] == pensioner.pk)


def read(user, suspect_list: SuspectList):  # type: ignore[no-untyped-def]
    return client_for(user).get(f"/api/v1/suspect-lists/{suspect_list.pk}")


def answer(user, suspect_list: SuspectList, entry_id: int, **body):  # type: ignore[no-untyped-def]
    return client_for(user).post(
        f"/api/v1/suspect-lists/{suspect_list.pk}/entries/{entry_id}/answer", body, format="json"
    )


def test_each_village_gets_its_flagged_people_once_a_month(village_list):
    (suspect_list,) = SuspectList.objects.all()
    body = read(village_list["assistant"], suspect_list).json()
    assert {entry["pensioner"]["id"] for entry in body["entries"]} == {
        village_list["overdue"].pk,
        village_list["flagged"].pk,
    }
    assert entry_for(body, village_list["flagged"])["reasons"] == ["suspected_death"]
    assert len(sms_queued(f"suspect_list:{suspect_list.pk}:")) == 1
    again = suspect_lists_build(today=today())
    assert (again.lists, again.entries) == (0, 0)


def test_a_registered_grade_source_adds_people(village_list, monkeypatch):
    graded = PensionerFactory(region=village_list["village"])
    monkeypatch.setitem(hooks._suspect_sources, "low_grade", lambda day: [graded.pk])
    assert suspect_lists_build(today=today()).entries == 1


def test_other_assistants_do_not_see_the_list_staff_do(village_list):
    (suspect_list,) = SuspectList.objects.all()
    assert read(assistant(village_in("360102", 12)), suspect_list).status_code == 404
    assert read(caseworker(), suspect_list).status_code == 200
    assert client_for(village_list["assistant"]).get("/api/v1/suspect-lists").json()["count"] == 1


def test_seen_alive_without_a_photo_tells_the_open_cases(village_list):
    (suspect_list,) = SuspectList.objects.all()
    entry = entry_for(read(village_list["assistant"], suspect_list).json(), village_list["flagged"])
    response = answer(village_list["assistant"], suspect_list, entry["id"], answer="alive", seen_on=today().isoformat())
    assert response.status_code == 200, response.json()
    note = CaseNote.objects.get(case=village_list["case"])
    assert "健在" in note.text


def test_seen_alive_with_a_photo_is_an_on_site_certification_to_confirm(village_list):
    (suspect_list,) = SuspectList.objects.all()
    helper = village_list["assistant"]
    entry = entry_for(read(helper, suspect_list).json(), village_list["overdue"])
    response = answer(
        helper,
        suspect_list,
        entry["id"],
        answer="alive",
        seen_on=today().isoformat(),
        place="村委会",
        evidence_id=photo(helper).pk,
    )
    assert response.status_code == 200, response.json()
    proof = ProofOfLife.objects.get(pensioner=village_list["overdue"])
    assert (proof.status, proof.case_id) == ("pending", response.json()["case_id"])


def test_died_is_a_death_report(village_list):
    (suspect_list,) = SuspectList.objects.all()
    helper = village_list["assistant"]
    entry = entry_for(read(helper, suspect_list).json(), village_list["flagged"])
    response = answer(helper, suspect_list, entry["id"], answer="died", seen_on=(today() - DAY).isoformat())
    assert response.status_code == 200, response.json()
    report = DeathReport.objects.get(pensioner=village_list["flagged"])
    assert report.case_id == village_list["case"].pk  # joined the data comparison's case


def test_moved_opens_a_moved_away_case_and_unknown_schedules_a_visit(village_list):
    (suspect_list,) = SuspectList.objects.all()
    helper = village_list["assistant"]
    body = read(helper, suspect_list).json()
    moved = answer(helper, suspect_list, entry_for(body, village_list["overdue"])["id"], answer="moved")
    assert Case.objects.get(pk=moved.json()["case_id"]).category == "moved_away"
    unknown = answer(helper, suspect_list, entry_for(body, village_list["flagged"])["id"], answer="unknown")
    task = VisitTask.objects.get(pk=unknown.json()["task_id"])
    assert (task.reason, task.assignee) == ("suspect_list", helper)


def test_an_entry_is_answered_once(village_list):
    (suspect_list,) = SuspectList.objects.all()
    helper = village_list["assistant"]
    entry_id = entry_for(read(helper, suspect_list).json(), village_list["overdue"])["id"]
    assert answer(helper, suspect_list, entry_id, answer="unknown").status_code == 200
    again = answer(helper, suspect_list, entry_id, answer="moved")
    assert again.status_code == 409
    assert again.json()["code"] == "suspect_entry_answered"


def test_staff_and_other_assistants_cannot_answer(village_list):
    (suspect_list,) = SuspectList.objects.all()
    entry_id = suspect_list.entries.first().pk
    assert answer(caseworker(), suspect_list, entry_id, answer="unknown").status_code == 404
    assert answer(assistant(village_in("360102", 13)), suspect_list, entry_id, answer="unknown").status_code == 404
