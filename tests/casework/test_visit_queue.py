"""The daily visit queue: who gets a task, who is assigned, what the visitor's outcome starts, the
chase, and who sees which tasks (through the API)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Pensioner
from casework import hooks
from casework.models import Case, DeathReport, ProofOfLife, VisitTask
from casework.schedules import schedules
from casework.services.visits import visit_queue_build, visit_tasks_chase
from facecheck.models import FaceAttempt
from notifications.models import SmsOutbox
from selfservice.services import certification_record
from tests.casework.factories import caseworker, request_id, sms_queued, staff
from tests.casework.safety_net import assistant, grid_worker, photo, today
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, pensioner_user, village_in

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _settings(settings):  # type: ignore[no-untyped-def]
    settings.CASEWORK_VISIT_OVERDUE_DAYS = 14
    settings.CASEWORK_VISIT_FACE_FAILURES = 3
    settings.CASEWORK_VISIT_TASK_DAYS = 14
    settings.CASEWORK_VISIT_COOLDOWN_DAYS = 30


def tasks() -> dict[int, VisitTask]:
    return {task.pensioner_id: task for task in VisitTask.objects.all()}


def test_overdue_beyond_the_setting_gets_a_task():
    late = PensionerFactory(next_due=today() - 15 * DAY)
    PensionerFactory(next_due=today() - 14 * DAY)
    visit_queue_build(today=today())
    assert set(tasks()) == {late.pk}
    assert tasks()[late.pk].reason == "overdue"


def test_no_phone_and_no_relative_gets_a_task_before_the_due_date():
    alone = PensionerFactory(phone=None, next_due=today() + 20 * DAY)
    with_relative = PensionerFactory(phone=None, next_due=today() + 20 * DAY)
    RelativeLinkFactory(pensioner=with_relative)
    PensionerFactory(phone=None, next_due=today() + 200 * DAY)  # not due for a long time
    visit_queue_build(today=today())
    assert set(tasks()) == {alone.pk}
    assert tasks()[alone.pk].reason == "no_contact"


def test_repeated_face_failures_get_a_task():
    failing = PensionerFactory(next_due=today() + 10 * DAY)
    actor = pensioner_user(failing)
    for minutes in range(3):
        FaceAttempt.objects.create(
            pensioner=failing,
            actor=actor,
            method="face",
            result="rejected",
            created_at=timezone.now() - datetime.timedelta(minutes=minutes),
        )
    twice = PensionerFactory(next_due=today() + 10 * DAY)
    for _ in range(2):
        FaceAttempt.objects.create(pensioner=twice, actor=pensioner_user(twice), method="face", result="rejected")
    visit_queue_build(today=today())
    assert set(tasks()) == {failing.pk}
    assert tasks()[failing.pk].reason == "face_failures"


def test_suspended_people_not_reached_by_sms_get_a_task():
    unreached = PensionerFactory(
        benefit_status="suspended", suspension_reason="overdue", status_since=today() - 5 * DAY
    )
    reached = PensionerFactory(benefit_status="suspended", suspension_reason="overdue", status_since=today() - 5 * DAY)
    SmsOutbox.objects.create(
        recipient=reached.phone,
        text="x",
        reason=f"suspended:{reached.pk}",
        template="suspended",
        kind="notice",
        status="delivered",
        pensioner_id_ref=reached.pk,
    )
    visit_queue_build(today=today())
    assert tasks()[unreached.pk].reasons[0] == "suspended_unreached"
    assert reached.pk not in tasks()


def test_a_registered_grade_trigger_adds_people(monkeypatch):
    graded = PensionerFactory()
    monkeypatch.setitem(hooks._visit_triggers, "low_grade", lambda day: [graded.pk])
    visit_queue_build(today=today())
    assert tasks()[graded.pk].reason == "low_grade"


def test_every_reason_is_kept_and_the_most_urgent_leads():
    pensioner = PensionerFactory(
        phone=None,
        benefit_status="suspended",
        suspension_reason="overdue",
        status_since=today() - 5 * DAY,
        next_due=today() - 40 * DAY,
    )
    visit_queue_build(today=today())
    task = tasks()[pensioner.pk]
    assert task.reasons == ["suspended_unreached", "overdue", "no_contact"]
    assert (task.reason, task.priority) == ("suspended_unreached", 0)


def test_ended_benefits_and_death_report_holds_get_no_task():
    PensionerFactory(benefit_status="terminated", next_due=today() - 40 * DAY)
    PensionerFactory(benefit_status="suspended", suspension_reason="death_report", next_due=today() - 40 * DAY)
    visit_queue_build(today=today())
    assert tasks() == {}


def test_the_grid_worker_is_preferred_then_the_assistant_then_nobody():
    village = village_in("360102", 5)
    both = PensionerFactory(region=village, next_due=today() - 20 * DAY)
    worker = grid_worker(village)
    assistant(village)
    only_assistant = PensionerFactory(next_due=today() - 20 * DAY)
    helper = assistant(only_assistant.region)
    nobody = PensionerFactory(next_due=today() - 20 * DAY)
    result = visit_queue_build(today=today())
    assert tasks()[both.pk].assignee == worker
    assert tasks()[only_assistant.pk].assignee == helper
    assert tasks()[nobody.pk].assignee is None
    assert result.unassigned == 1
    assert tasks()[both.pk].due_on == today() + 14 * DAY


def test_running_again_creates_nothing_and_a_closed_task_is_not_repeated_at_once():
    pensioner = PensionerFactory(next_due=today() - 20 * DAY)
    assert visit_queue_build(today=today()).created == 1
    assert visit_queue_build(today=today()).created == 0
    VisitTask.objects.update(status="cancelled")
    assert visit_queue_build(today=today() + DAY).created == 0  # cool-down
    assert visit_queue_build(today=today() + 31 * DAY).created == 1
    assert VisitTask.objects.filter(pensioner=pensioner).count() == 2


def test_a_certification_by_any_channel_cancels_the_open_task():
    pensioner = PensionerFactory(next_due=today() - 20 * DAY)
    visit_queue_build(today=today())
    certification_record(pensioner=pensioner, method="silent", recorded_by=None)
    assert tasks()[pensioner.pk].status == "cancelled"


def test_a_bulk_certification_cancels_the_open_task_too():
    from selfservice.services import BulkProof, certification_record_bulk

    pensioner = PensionerFactory(next_due=today() - 20 * DAY)
    other = PensionerFactory(next_due=today() - 20 * DAY)
    visit_queue_build(today=today())
    proof = BulkProof(pensioner_id=pensioner.pk, certified_at=timezone.now(), evidence_ref="silent:vaccination:V1")
    certification_record_bulk(proofs=[proof], method="silent")
    assert tasks()[pensioner.pk].status == "cancelled"
    assert tasks()[pensioner.pk].note == "certified (silent) before the visit"
    assert tasks()[other.pk].status == "open"


def test_the_build_is_audited():
    PensionerFactory(next_due=today() - 20 * DAY)
    visit_queue_build(today=today())
    from accounts.models import AuditEvent

    event = AuditEvent.objects.get(action="visit_queue.build")
    assert event.details["created"] == 1


def test_the_daily_schedule_builds_the_queue():
    assert "casework.tasks.visit_queue_daily" in [s["func"] for s in schedules()]
    assert "casework.tasks.suspect_lists_monthly" in [s["func"] for s in schedules()]


# --- the API -----------------------------------------------------------------------------------


def test_visitors_see_their_villages_most_urgent_first_and_staff_filter():
    village = village_in("360102", 6)
    worker = grid_worker(village)
    overdue = PensionerFactory(region=village, next_due=today() - 20 * DAY)
    more_overdue = PensionerFactory(region=village, next_due=today() - 50 * DAY)
    suspended = PensionerFactory(
        region=village, benefit_status="suspended", suspension_reason="overdue", status_since=today() - 5 * DAY
    )
    elsewhere = PensionerFactory(next_due=today() - 20 * DAY)
    visit_queue_build(today=today())
    rows = client_for(worker).get("/api/v1/visits").json()["results"]
    assert [row["pensioner"]["id"] for row in rows] == [suspended.pk, more_overdue.pk, overdue.pk]
    assert rows[0]["reason_label"]
    clerk = caseworker()
    everyone = client_for(clerk).get("/api/v1/visits").json()["results"]
    assert {row["pensioner"]["id"] for row in everyone} == {suspended.pk, more_overdue.pk, overdue.pk, elsewhere.pk}
    unassigned = client_for(clerk).get("/api/v1/visits?unassigned=true").json()["results"]
    assert [row["pensioner"]["id"] for row in unassigned] == [elsewhere.pk]
    by_reason = client_for(clerk).get("/api/v1/visits?reason=suspended_unreached").json()["results"]
    assert [row["pensioner"]["id"] for row in by_reason] == [suspended.pk]
    outside = staff("caseworker", region_code="360121000000")
    assert client_for(outside).get("/api/v1/visits").json()["results"] == []
    task_id = rows[0]["id"]
    assert client_for(outside).get(f"/api/v1/visits/{task_id}").status_code == 404
    assert client_for(grid_worker(village_in("360102", 7))).get(f"/api/v1/visits/{task_id}").status_code == 404


def outcome(user, task: VisitTask, **body):  # type: ignore[no-untyped-def]
    return client_for(user).post(f"/api/v1/visits/{task.pk}/outcome", body, format="json")


@pytest.fixture
def visit():  # type: ignore[no-untyped-def]
    pensioner = PensionerFactory(next_due=today() - 20 * DAY)
    worker = grid_worker(pensioner.region)
    visit_queue_build(today=today())
    return worker, VisitTask.objects.get(pensioner=pensioner)


def test_certified_on_site_records_a_proof_for_two_staff_to_confirm(visit):
    worker, task = visit
    evidence = photo(worker)
    response = outcome(
        worker, task, outcome="certified", seen_on=today().isoformat(), place="家中", evidence_id=evidence.pk
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["outcome"]) == ("done", "certified")
    proof = ProofOfLife.objects.get(pk=response.json()["proof_id"])
    assert proof.status == "pending" and proof.case_id == response.json()["case_id"]


def test_deceased_starts_the_death_report_flow(visit, sms_test_settings):
    worker, task = visit
    response = outcome(worker, task, outcome="deceased", date_of_death=(today() - DAY).isoformat(), place="家中")
    assert response.status_code == 200, response.json()
    report = DeathReport.objects.get(pensioner=task.pensioner)
    assert report.capacity == "grid_worker"
    assert report.case_id == response.json()["case_id"]
    task.pensioner.refresh_from_db()
    assert task.pensioner.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT


@pytest.mark.parametrize(("found", "category"), [("moved_away", "moved_away"), ("not_found", "missing")])
def test_moved_away_and_not_found_open_a_case(visit, found, category):
    worker, task = visit
    response = outcome(worker, task, outcome=found, note="邻居说去了女儿家")
    assert response.status_code == 200, response.json()
    case = Case.objects.get(pk=response.json()["case_id"])
    assert (case.category, case.source) == (category, "social_service")
    assert case.details["reports"][0]["task_id"] == task.pk


def test_approving_a_moved_away_case_tells_the_person_how_to_certify_from_afar(visit, sms_test_settings):
    from casework import services

    worker, task = visit
    case = Case.objects.get(pk=outcome(worker, task, outcome="moved_away").json()["case_id"])
    services.case_accept(case=case, actor=caseworker())
    from tests.casework.factories import reviewer

    services.case_approve(case=case, actor=reviewer())
    task.pensioner.refresh_from_db()
    assert task.pensioner.benefit_status == "active"  # nothing stopped
    assert len(sms_queued(f"moved_away:{case.pk}")) == 1


def test_a_task_closes_once(visit):
    worker, task = visit
    assert outcome(worker, task, outcome="not_found").status_code == 200
    again = outcome(worker, task, outcome="moved_away")
    assert again.status_code == 409
    assert again.json()["code"] == "visit_task_closed"


def test_the_outcome_needs_its_fields(visit):
    worker, task = visit
    response = outcome(worker, task, outcome="certified")
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"seen_on", "evidence_id"}


def test_the_outcome_is_audited(visit):
    from accounts.models import AuditEvent

    worker, task = visit
    outcome(worker, task, outcome="not_found", client_request_id=request_id())
    assert AuditEvent.objects.filter(action="visit_task.outcome", target_id=str(task.pk), actor=worker).exists()


# --- chase ---------------------------------------------------------------------------------------


def test_unfinished_tasks_past_due_are_chased_once_per_visitor(sms_test_settings):
    village = village_in("360102", 9)
    worker = grid_worker(village)
    for _ in range(2):
        PensionerFactory(region=village, next_due=today() - 20 * DAY)
    visit_queue_build(today=today())
    VisitTask.objects.update(due_on=today() - DAY)
    assert visit_tasks_chase(today=today()) == 2
    (sms,) = sms_queued(f"visit_chase:u{worker.pk}:")
    assert sms.recipient == worker.phone and "2" in sms.text
    assert visit_tasks_chase(today=today() + DAY) == 0
    assert len(sms_queued("visit_chase:")) == 1
