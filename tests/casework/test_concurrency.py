"""Races that only a real database with row locks can show (PostgreSQL, two threads)."""

import time

from accounts.models import AuditEvent
from casework import services
from casework.models import Case, DeathReport
from casework.services import approval
from tests.casework.factories import case_in, request_id, reviewer
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.factories import RelativeLinkFactory

pytestmark = POSTGRES_ONLY


def test_two_reviewers_approving_at_once_exactly_one_succeeds(monkeypatch):
    case, _acceptor, _checker = case_in("accepted", category="missing")
    first, second = reviewer(), reviewer()
    slow_original = approval._suspend_for_case

    def slow_consequence(**kwargs):  # type: ignore[no-untyped-def]
        # Keep the winner's transaction open, so the other reviewer really arrives while it runs.
        result = slow_original(**kwargs)
        time.sleep(0.5)
        return result

    monkeypatch.setattr(approval, "_suspend_for_case", slow_consequence)
    outcomes = run_together(
        lambda: services.case_approve(case=Case.objects.get(pk=case.pk), actor=first).decided_by_id,
        lambda: services.case_approve(case=Case.objects.get(pk=case.pk), actor=second).decided_by_id,
    )
    kinds = sorted(kind for kind, _value in outcomes)
    assert kinds == ["conflict", "ok"], outcomes
    winner = next(value for kind, value in outcomes if kind == "ok")
    loser_code = next(value for kind, value in outcomes if kind == "conflict")
    assert loser_code == "case_invalid_transition"
    case.refresh_from_db()
    assert (case.status, case.decided_by_id) == ("approved", winner)
    assert AuditEvent.objects.filter(action="case.approve", target_id=str(case.pk)).count() == 1
    assert AuditEvent.objects.filter(action="pensioner.suspend").count() == 1


def test_an_approve_and_a_reject_at_once_exactly_one_succeeds():
    case, _acceptor, _checker = case_in("accepted", category="missing")
    outcomes = run_together(
        lambda: services.case_approve(case=Case.objects.get(pk=case.pk), actor=reviewer()).status,
        lambda: services.case_reject(case=Case.objects.get(pk=case.pk), actor=reviewer(), note="found").status,
    )
    assert sorted(kind for kind, _ in outcomes) == ["conflict", "ok"], outcomes
    case.refresh_from_db()
    assert case.status == next(value for kind, value in outcomes if kind == "ok")


def test_the_same_death_report_sent_twice_at_once_is_stored_once():
    link = RelativeLinkFactory()
    rid = request_id()

    def submit():  # type: ignore[no-untyped-def]
        report, created = services.death_report_submit(
            reporter=link.relative,
            pensioner_id=link.pensioner.pk,
            date_of_death=link.pensioner.birth_date.replace(year=2026, month=1, day=1),
            place="家中",
            client_request_id=rid,
        )
        return report.pk, created

    outcomes = run_together(submit, submit)
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    ids = {value[0] for _, value in outcomes}
    assert len(ids) == 1
    assert sorted(value[1] for _, value in outcomes) == [False, True]
    assert DeathReport.objects.count() == 1
    assert Case.objects.count() == 1


def test_two_different_reports_at_once_share_one_case():
    first, second = RelativeLinkFactory(), None
    second = RelativeLinkFactory(pensioner=first.pensioner)

    def submit(link):  # type: ignore[no-untyped-def]
        return services.death_report_submit(
            reporter=link.relative,
            pensioner_id=link.pensioner.pk,
            date_of_death=first.pensioner.birth_date.replace(year=2026, month=1, day=1),
            place="家中",
            client_request_id=request_id(),
        )[0].case_id

    outcomes = run_together(lambda: submit(first), lambda: submit(second))
    assert [kind for kind, _ in outcomes] == ["ok", "ok"], outcomes
    assert outcomes[0][1] == outcomes[1][1]
    case = Case.objects.get()
    assert len(case.details["reports"]) == 2


def test_case_open_and_benefit_hold_work_outside_a_transaction():
    """Other apps call these from plain (autocommit) code; the row locks need their own transaction."""
    from tests.factories import PensionerFactory

    pensioner = PensionerFactory()
    case = services.case_open(pensioner=pensioner, category="suspected_death", source="data_comparison")
    joined = services.case_open(pensioner=pensioner, category="suspected_death", source="data_comparison")
    assert joined.pk == case.pk
    from selfservice.benefits import benefits_hold

    assert benefits_hold(pensioner=pensioner, cause=f"case:{joined.pk}", actor=None).any_changed
    pensioner.refresh_from_db()
    assert pensioner.suspension_reason == "death_report"
