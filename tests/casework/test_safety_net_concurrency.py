"""The safety net's races on a real database (PostgreSQL, one thread per caller)."""

import time

from casework import services
from casework.models import Case, ProofOfLife, VisitTask
from casework.services import proofs
from casework.services.visits import visit_queue_build
from selfservice.models import Certification
from tests.casework.factories import caseworker, request_id, reviewer
from tests.casework.safety_net import assistant, photo, today
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.factories import PensionerFactory

pytestmark = POSTGRES_ONLY


def test_two_staff_confirming_the_same_visit_at_once_certify_exactly_once(monkeypatch):
    pensioner = PensionerFactory()
    visitor = assistant(pensioner.region)
    proof, _created = proofs.proof_of_life_record(
        actor=visitor,
        pensioner_id=pensioner.pk,
        kind="onsite",
        seen_on=today(),
        place="家中",
        evidence_id=photo(visitor).pk,
        client_request_id=request_id(),
    )
    services.case_accept(case=proof.case, actor=caseworker())
    first, second = reviewer(), reviewer()
    original = proofs.certification_record

    def slow_certification(**kwargs):  # type: ignore[no-untyped-def]
        certification = original(**kwargs)
        time.sleep(0.5)  # keep the winner's transaction open while the other arrives
        return certification

    monkeypatch.setattr(proofs, "certification_record", slow_certification)
    outcomes = run_together(
        lambda: services.case_approve(case=Case.objects.get(pk=proof.case_id), actor=first).decided_by_id,
        lambda: services.case_approve(case=Case.objects.get(pk=proof.case_id), actor=second).decided_by_id,
    )
    assert sorted(kind for kind, _value in outcomes) == ["conflict", "ok"], outcomes
    assert Certification.objects.filter(pensioner=pensioner).count() == 1
    proof.refresh_from_db()
    assert proof.status == "certified"


def test_two_visitors_recording_the_same_person_at_once_leave_one_pending_record():
    pensioner = PensionerFactory()
    one, two = assistant(pensioner.region), assistant(pensioner.region)
    evidence = {one.pk: photo(one).pk, two.pk: photo(two).pk}

    def record(user):  # type: ignore[no-untyped-def]
        return lambda: proofs.proof_of_life_record(
            actor=user,
            pensioner_id=pensioner.pk,
            kind="onsite",
            seen_on=today(),
            place="家中",
            evidence_id=evidence[user.pk],
            client_request_id=request_id(),
        )[0].pk

    outcomes = run_together(record(one), record(two))
    assert sorted(kind for kind, _value in outcomes) == ["conflict", "ok"], outcomes
    assert ProofOfLife.objects.filter(pensioner=pensioner, status="pending").count() == 1
    assert Case.objects.filter(pensioner=pensioner, category="onsite_visit").count() == 1


def test_two_queue_builds_at_once_make_one_task_per_person():
    for _ in range(5):
        PensionerFactory(next_due=today().replace(day=1).replace(year=today().year - 1))
    outcomes = run_together(
        lambda: visit_queue_build(today=today()).created, lambda: visit_queue_build(today=today()).created
    )
    assert [kind for kind, _value in outcomes] == ["ok", "ok"], outcomes
    assert VisitTask.objects.count() == 5
