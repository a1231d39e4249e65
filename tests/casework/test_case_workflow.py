"""Two-level approval: every transition allowed and forbidden, and who may take each step."""

import pytest

from accounts.models import AuditEvent
from accounts.roles import Role
from backend.api.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from casework import services
from casework.models import Case
from tests.casework.factories import (
    OTHER_COUNTY,
    CaseFactory,
    case_in,
    caseworker,
    give_amount_setting,
    reviewer,
    staff,
)
from tests.conftest import client_for
from tests.factories import PensionerFactory, UserFactory, VillageAssignmentFactory, village_in

pytestmark = pytest.mark.django_db

STATUSES = ["open", "accepted", "approved", "rejected", "closed"]
ACTIONS = ["assign", "accept", "approve", "reject", "close"]
ALLOWED = {
    ("open", "assign"): "open",
    ("open", "accept"): "accepted",
    ("accepted", "approve"): "approved",
    ("accepted", "reject"): "rejected",
    ("approved", "close"): "closed",
    ("rejected", "close"): "closed",
}


def run(action: str, case: Case, acceptor):  # type: ignore[no-untyped-def]
    """Take ``action`` as a person whose role fits, so only the state decides."""
    if action == "assign":
        return services.case_assign(case=case, actor=caseworker(), assignee=caseworker())
    if action == "accept":
        return services.case_accept(case=case, actor=caseworker())
    if action == "approve":
        return services.case_approve(case=case, actor=reviewer())
    if action == "reject":
        return services.case_reject(case=case, actor=reviewer(), note="alive, seen at home")
    return services.case_close(case=case, actor=acceptor)


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", ACTIONS)
def test_state_machine(status, action):
    case, acceptor, _checker = case_in(status)
    if (status, action) in ALLOWED:
        result = run(action, case, acceptor)
        assert result.status == ALLOWED[(status, action)]
        case.refresh_from_db()
        assert case.status == ALLOWED[(status, action)]
    else:
        with pytest.raises(ConflictError) as exc:
            run(action, case, acceptor)
        expected = "case_not_accepted" if status == "open" and action in ("approve", "reject") else None
        assert exc.value.code == (expected or "case_invalid_transition")
        case.refresh_from_db()
        assert case.status == status


def test_a_reviewer_cannot_act_before_a_caseworker_accepted_via_the_api():
    case = CaseFactory()
    response = client_for(reviewer()).post(f"/api/v1/cases/{case.pk}/approve", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "case_not_accepted"
    assert response.json()["message"]


def test_each_transition_is_audited_with_its_actor():
    case, acceptor, checker = case_in("closed")
    events = list(AuditEvent.objects.filter(target_type="casework.case", target_id=str(case.pk)).order_by("id"))
    assert [e.action for e in events] == ["case.accept", "case.approve", "case.close"]
    assert [e.actor_id for e in events] == [acceptor.pk, checker.pk, acceptor.pk]


def test_the_steps_record_who_did_them():
    case, acceptor, checker = case_in("approved")
    assert (case.accepted_by_id, case.decided_by_id) == (acceptor.pk, checker.pk)
    assert case.accepted_at <= case.decided_at


# --- permission matrix ---------------------------------------------------------------------


def make_actor(kind: str, case: Case):  # type: ignore[no-untyped-def]
    if kind == "caseworker":
        return caseworker()
    if kind == "reviewer":
        return reviewer()
    if kind == "caseworker_and_reviewer":
        return _both()
    if kind == "outside_caseworker":
        return caseworker(region_code=OTHER_COUNTY)
    if kind == "outside_reviewer":
        return reviewer(region_code=OTHER_COUNTY)
    if kind == "amount_setter_caseworker":
        return give_amount_setting(caseworker())
    if kind == "amount_setter_reviewer":
        return give_amount_setting(reviewer())
    if kind == "superuser":
        return staff(Role.ADMIN, is_superuser=True)
    if kind == "village_assistant":
        return VillageAssignmentFactory(village=case.pensioner.region).user
    if kind == "relative":
        return UserFactory(roles=[Role.RELATIVE])
    raise AssertionError(kind)


def _both():  # type: ignore[no-untyped-def]
    user = caseworker()
    from accounts.services import user_add_role

    user_add_role(user=user, role=Role.REVIEWER)
    return user


OK, ROLE, DUTIES, SCOPE = "ok", "case_role_required", "duties_not_separated", "not_found"
MATRIX = {
    #                          accept  approve  reject  close(approved)
    "caseworker": (OK, ROLE, ROLE, OK),
    "reviewer": (ROLE, OK, OK, OK),
    "caseworker_and_reviewer": (OK, OK, OK, OK),
    "outside_caseworker": (SCOPE, SCOPE, SCOPE, SCOPE),
    "outside_reviewer": (SCOPE, SCOPE, SCOPE, SCOPE),
    "amount_setter_caseworker": (DUTIES, DUTIES, DUTIES, DUTIES),
    "amount_setter_reviewer": (DUTIES, DUTIES, DUTIES, DUTIES),
    "superuser": (DUTIES, DUTIES, DUTIES, DUTIES),
    "village_assistant": (SCOPE, SCOPE, SCOPE, SCOPE),
    "relative": (SCOPE, SCOPE, SCOPE, SCOPE),
}
STEPS = [("accept", "open"), ("approve", "accepted"), ("reject", "accepted"), ("close", "approved")]
ERRORS = {ROLE: ForbiddenError, DUTIES: ForbiddenError, SCOPE: NotFoundError}


@pytest.mark.parametrize("kind", MATRIX)
@pytest.mark.parametrize("step", range(4), ids=[s[0] for s in STEPS])
def test_permission_matrix(kind, step):
    action, status = STEPS[step]
    case, _acceptor, _checker = case_in(status)
    actor = make_actor(kind, case)
    call = {
        "accept": lambda: services.case_accept(case=case, actor=actor),
        "approve": lambda: services.case_approve(case=case, actor=actor),
        "reject": lambda: services.case_reject(case=case, actor=actor, note="not confirmed"),
        "close": lambda: services.case_close(case=case, actor=actor),
    }[action]
    expected = MATRIX[kind][step]
    if expected == OK:
        assert call().status != status
    else:
        with pytest.raises(ERRORS[expected]) as exc:
            call()
        assert exc.value.code == expected
        case.refresh_from_db()
        assert case.status == status


def test_the_acceptor_cannot_approve_even_holding_the_reviewer_role():
    case = CaseFactory()
    both = _both()
    services.case_accept(case=case, actor=both)
    with pytest.raises(ForbiddenError) as exc:
        services.case_approve(case=case, actor=both)
    assert exc.value.code == "maker_checker"
    with pytest.raises(ForbiddenError):
        services.case_reject(case=case, actor=both, note="x")


def test_the_staff_member_who_reported_cannot_approve():
    both = _both()
    case = services.case_open(pensioner=PensionerFactory(), category="missing", source="staff", opened_by=both)
    services.case_accept(case=case, actor=caseworker())
    with pytest.raises(ForbiddenError) as exc:
        services.case_approve(case=case, actor=both)
    assert exc.value.code == "maker_checker"


def test_the_database_refuses_a_maker_who_is_also_the_checker():
    from django.db import IntegrityError, transaction

    case, acceptor, _checker = case_in("accepted")
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="approved", decided_by=acceptor)


def test_a_case_cannot_be_decided_in_the_database_without_acceptance():
    from django.db import IntegrityError, transaction

    case = CaseFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status="approved", decided_by=reviewer())


# --- assignment ----------------------------------------------------------------------------


def test_the_assignee_accepts_and_the_deadline_can_be_set():
    import datetime

    from django.utils import timezone

    case = CaseFactory()
    worker = caseworker()
    deadline = timezone.localdate() + datetime.timedelta(days=10)
    services.case_assign(case=case, actor=reviewer(), assignee=worker, deadline=deadline)
    case.refresh_from_db()
    assert (case.assignee, case.deadline) == (worker, deadline)
    assert services.case_accept(case=case, actor=worker).accepted_by == worker


@pytest.mark.parametrize("who", ["reviewer_only", "outside", "amount_setter", "relative"])
def test_a_case_is_only_assigned_to_an_eligible_caseworker(who):
    case = CaseFactory()
    assignee = {
        "reviewer_only": reviewer,
        "outside": lambda: caseworker(region_code=OTHER_COUNTY),
        "amount_setter": lambda: give_amount_setting(caseworker()),
        "relative": lambda: UserFactory(roles=[Role.RELATIVE]),
    }[who]()
    with pytest.raises(ApplicationError) as exc:
        services.case_assign(case=case, actor=reviewer(), assignee=assignee)
    assert exc.value.code == "assignee_not_eligible"


def test_a_new_case_gets_the_default_deadline(settings):
    import datetime

    from django.utils import timezone

    settings.CASEWORK_CASE_DEADLINE_DAYS = 15
    case = services.case_open(pensioner=PensionerFactory(), category="missing", source="staff")
    assert case.deadline == timezone.localdate() + datetime.timedelta(days=15)


def test_rejecting_needs_a_reason():
    case, _a, _c = case_in("accepted")
    with pytest.raises(ApplicationError) as exc:
        services.case_reject(case=case, actor=reviewer(), note="  ")
    assert exc.value.code == "reason_required"


# --- API -----------------------------------------------------------------------------------


def test_the_case_list_is_my_area_only_and_filters_by_category_and_status():
    mine = CaseFactory(category="missing")
    CaseFactory(category="imprisoned")
    CaseFactory(pensioner=PensionerFactory(region=village_in("360121", 1)))
    client = client_for(caseworker())
    body = client.get("/api/v1/cases", {"category": "missing", "status": "open"}).json()
    assert [c["id"] for c in body["results"]] == [mine.pk]
    assert client.get("/api/v1/cases").json()["count"] == 2


def test_the_case_list_is_empty_for_non_staff():
    CaseFactory()
    assert client_for(UserFactory(roles=[Role.RELATIVE])).get("/api/v1/cases").json()["count"] == 0


def test_case_detail_shows_what_i_may_do_next():
    case = CaseFactory()
    worker, boss = caseworker(), reviewer()
    assert set(client_for(worker).get(f"/api/v1/cases/{case.pk}").json()["allowed_actions"]) == {"assign", "accept"}
    assert client_for(boss).get(f"/api/v1/cases/{case.pk}").json()["allowed_actions"] == ["assign"]
    client_for(worker).post(f"/api/v1/cases/{case.pk}/accept", {"note": "phoned the family"}, format="json")
    assert client_for(worker).get(f"/api/v1/cases/{case.pk}").json()["allowed_actions"] == []
    detail = client_for(boss).get(f"/api/v1/cases/{case.pk}").json()
    assert set(detail["allowed_actions"]) == {"approve", "reject"}
    assert detail["notes"][0]["text"] == "phoned the family"


def test_the_api_walks_a_case_through_both_levels():
    case = CaseFactory(category="missing")
    worker, boss = client_for(caseworker()), client_for(reviewer())
    assert worker.post(f"/api/v1/cases/{case.pk}/accept", {}, format="json").json()["status"] == "accepted"
    assert boss.post(f"/api/v1/cases/{case.pk}/reject", {"note": "found"}, format="json").json()["status"] == "rejected"
    assert worker.post(f"/api/v1/cases/{case.pk}/close", {}, format="json").json()["status"] == "closed"


def test_a_case_outside_my_area_is_not_found():
    case = CaseFactory()
    outside = client_for(caseworker(region_code=OTHER_COUNTY))
    assert outside.get(f"/api/v1/cases/{case.pk}").status_code == 404
    assert outside.post(f"/api/v1/cases/{case.pk}/accept", {}, format="json").status_code == 404


def test_duty_separation_answers_403_with_its_code():
    case = CaseFactory()
    response = client_for(give_amount_setting(caseworker())).post(f"/api/v1/cases/{case.pk}/accept", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "duties_not_separated"


def test_notes_with_evidence_are_added_by_case_staff():
    from tests.casework.factories import evidence_for

    case = CaseFactory()
    worker = caseworker()
    evidence = evidence_for(worker)
    response = client_for(worker).post(
        f"/api/v1/cases/{case.pk}/notes", {"text": "visited", "evidence_ids": [evidence.pk]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["evidence_ids"] == [evidence.pk]
    assert client_for(UserFactory()).post(f"/api/v1/cases/{case.pk}/notes", {"text": "x"}).status_code == 404
