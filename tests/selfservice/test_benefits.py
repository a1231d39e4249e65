"""Benefits have one owner: the transitions table, holds as typed records, the person's summary."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from accounts.models import AuditEvent, Pensioner
from backend.api.errors import ConflictError
from selfservice import benefits
from selfservice.models import Benefit, BenefitHold
from selfservice.selectors import certification_status
from tests.conftest import client_for
from tests.factories import PensionerFactory, pensioner_user

pytestmark = pytest.mark.django_db


def two_benefits(**kwargs) -> Pensioner:  # type: ignore[no-untyped-def]
    pensioner = PensionerFactory(**kwargs)
    benefits.benefit_grant(
        pensioner=pensioner,
        kind=Benefit.Kind.OLD_AGE_ALLOWANCE,
        monthly_amount=Decimal("100.00"),
        start_date=datetime.date(2020, 1, 1),
    )
    return pensioner


def statuses(pensioner: Pensioner) -> dict[str, str]:
    return dict(Benefit.objects.filter(pensioner=pensioner).values_list("kind", "status"))


def test_every_operation_names_only_changes_between_known_states():
    known = set(Benefit.Status.values)
    for changes in benefits.TRANSITIONS.values():
        assert {state for change in changes for state in change} <= known


def test_nothing_leaves_terminated():
    assert not any(
        start == Benefit.Status.TERMINATED for changes in benefits.TRANSITIONS.values() for start, _ in changes
    )


def test_a_hold_stops_every_benefit_and_records_what_each_was():
    pensioner = two_benefits()
    change = benefits.benefits_hold(pensioner=pensioner, cause="case:7", actor=None)
    assert set(statuses(pensioner).values()) == {"held"}
    assert len(change.changed) == 2
    assert set(BenefitHold.objects.values_list("previous_status", flat=True)) == {"active"}
    assert (change.pensioner.benefit_status, change.pensioner.suspension_reason) == ("suspended", "death_report")


def test_the_same_cause_holds_once():
    pensioner = two_benefits()
    benefits.benefits_hold(pensioner=pensioner, cause="case:7", actor=None)
    again = benefits.benefits_hold(pensioner=pensioner, cause="case:7", actor=None)
    assert not again.any_changed
    assert BenefitHold.objects.count() == 2


def test_releasing_a_hold_restores_what_each_benefit_was():
    pensioner = PensionerFactory(benefit_status="suspended", suspension_reason="overdue")
    benefits.benefit_grant(
        pensioner=pensioner,
        kind=Benefit.Kind.SURVIVOR,
        monthly_amount=Decimal("500"),
        start_date=datetime.date(2026, 1, 1),
    )
    benefits.benefits_hold(pensioner=pensioner, cause="case:9", actor=None)
    change = benefits.benefits_hold_release(pensioner=pensioner, cause="case:9", actor=None)
    assert statuses(pensioner) == {"enterprise": "suspended", "survivor": "active"}
    assert Benefit.objects.get(kind="enterprise").status_reason == "overdue"
    assert change.pensioner.benefit_status == "active"  # one benefit is paid again
    assert all(hold.released_on for hold in change.released)


def test_overdue_suspends_only_benefits_that_require_certification():
    pensioner = PensionerFactory()
    benefits.benefit_grant(
        pensioner=pensioner,
        kind=Benefit.Kind.WORK_INJURY,
        monthly_amount=Decimal("900"),
        start_date=datetime.date(2020, 1, 1),
        requires_certification=False,
    )
    benefits.benefits_suspend(pensioner=pensioner, reason="overdue", actor=None, certification_bound_only=True)
    assert statuses(pensioner) == {"enterprise": "suspended", "work_injury": "active"}


def test_a_death_ends_every_benefit_and_the_person_summary_says_so():
    pensioner = two_benefits()
    change = benefits.benefits_terminate(
        pensioner=pensioner,
        actor=None,
        terminated_from=datetime.date(2026, 11, 1),
        deceased_on=datetime.date(2026, 10, 15),
    )
    assert set(statuses(pensioner).values()) == {"terminated"}
    assert change.pensioner.benefit_status == "terminated"
    assert change.pensioner.deceased_on == datetime.date(2026, 10, 15)


def test_an_ended_person_cannot_be_held_or_ended_again():
    pensioner = PensionerFactory(benefit_status="terminated", deceased_on=datetime.date(2026, 1, 1))
    with pytest.raises(ConflictError):
        benefits.benefits_hold(pensioner=pensioner, cause="case:1", actor=None)
    with pytest.raises(ConflictError):
        benefits.benefits_terminate(pensioner=pensioner, actor=None, terminated_from=datetime.date(2026, 2, 1))


def test_resume_pays_every_suspended_benefit_again_and_is_audited():
    pensioner = PensionerFactory(benefit_status="suspended", suspension_reason="overdue")
    change = benefits.benefits_resume(pensioner=pensioner, actor=None)
    assert statuses(pensioner) == {"enterprise": "active"}
    assert change.pensioner.benefit_status == "active"
    assert AuditEvent.objects.filter(action="pensioner.resume", pensioner_id_ref=pensioner.pk).exists()


def test_operations_return_fresh_rows_and_leave_the_callers_object_alone():
    pensioner = PensionerFactory()
    change = benefits.benefits_suspend(pensioner=pensioner, reason="case", actor=None)
    assert change.pensioner is not pensioner
    assert change.pensioner.benefit_status == "suspended"
    assert pensioner.benefit_status == "active"


def test_a_stopped_benefit_without_a_reason_is_refused_by_the_database():
    pensioner = PensionerFactory()
    benefit = Benefit.objects.get(pensioner=pensioner)
    benefit.status = "suspended"
    with pytest.raises(Exception, match=r"benefit_reason_iff_stopped|CHECK constraint"):
        benefit.save()


def test_the_status_lists_every_benefit_the_person_holds():
    pensioner = two_benefits()
    body = client_for(pensioner_user(pensioner)).get("/api/v1/certification/status").json()
    assert [line["kind"] for line in body["benefits"]] == ["enterprise", "old_age_allowance"]
    assert body["benefits"][1]["sentence"] == "高龄津贴：正常发放。"


def test_a_held_benefit_reads_in_plain_words():
    pensioner = two_benefits()
    benefits.benefits_hold(pensioner=pensioner, cause="case:3", actor=None)
    pensioner.refresh_from_db()
    lines = certification_status(pensioner=pensioner).benefits
    assert {line.status for line in lines} == {"held"}
    assert "核实" in lines[0].sentence
