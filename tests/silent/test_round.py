"""The comparison round: every rule, idempotency, the audit trail (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import AuditEvent, Pensioner
from accounts.roles import Role
from backend.dates import add_months
from casework.models import Case
from casework.services import case_accept, case_reject
from selfservice.models import Benefit, Certification
from silent.models import DataSource, Decision, EvidenceEvent, IngestBatch, SurvivalGrade
from silent.services.rounds import silent_round
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=n)


@pytest.fixture
def add_event():  # type: ignore[no-untyped-def]
    counter = iter(range(1, 10**6))
    batches: dict[str, IngestBatch] = {}

    def make(pensioner, key: str, ago: int = 1) -> EvidenceEvent:  # type: ignore[no-untyped-def]
        source = DataSource.objects.get(key=key)
        batch = batches.get(key) or IngestBatch.objects.create(source=source, channel="file")
        batches[key] = batch
        return EvidenceEvent.objects.create(
            source=source,
            record_id=f"R{next(counter)}",
            pensioner=pensioner,
            event_date=days_ago(ago),
            received_at=timezone.now(),
            batch=batch,
        )

    return make


def run() -> dict[str, int]:
    out = StringIO()
    call_command("silent_round", stdout=out)
    return {k: int(v) for k, v in (line.split(": ") for line in out.getvalue().splitlines())}


def grade_of(p: Pensioner) -> SurvivalGrade:
    return SurvivalGrade.objects.get(pensioner=p)


# --- strong evidence ---------------------------------------------------------------------------


def test_a_strong_event_certifies_a_person_due_soon(person, add_event):
    p = person(due_in=30)
    event = add_event(p, "vaccination", ago=10)
    result = run()
    assert result["certified"] == 1
    certification = Certification.objects.get(pensioner=p)
    assert certification.method == "silent"
    assert certification.evidence_ref == f"silent:vaccination:{event.record_id}"
    assert timezone.localdate(certification.certified_at) == event.event_date
    p.refresh_from_db()
    assert p.next_due == add_months(event.event_date, 12)
    decision = Decision.objects.get(pensioner=p)
    assert (decision.outcome, decision.trigger_id, decision.certification_id) == (
        "certified_strong",
        event.pk,
        certification.pk,
    )


def test_the_certification_is_audited_with_the_evidence(person, add_event):
    p = person(due_in=30)
    event = add_event(p, "inpatient_settlement", ago=3)
    run()
    audit = AuditEvent.objects.get(action="silent.certified_strong")
    assert audit.details["evidence"] == [event.pk]
    assert audit.details["source"] == "inpatient_settlement"
    assert audit.pensioner_id_ref == p.pk


def test_a_second_round_the_same_day_changes_nothing(person, add_event):
    p = person(due_in=30)
    add_event(p, "vaccination", ago=10)
    q = person(due_in=20)
    add_event(q, "cremation", ago=5)
    first = run()
    assert first["certified"] == 1 and first["holds"] == 1
    assert run() == {"certified": 0, "graded": 0, "holds": 0, "suspensions": 0, "cases": 0}
    assert Certification.objects.count() == 1
    assert Decision.objects.count() == 2


def test_a_strong_event_outside_its_validity_does_not_certify(person, add_event):
    p = person(due_in=30)
    add_event(p, "health_code_scan", ago=181)
    assert run()["certified"] == 0
    assert grade_of(p).grade == "low"


def test_a_person_not_due_within_the_window_is_graded_but_not_certified(person, add_event, settings):
    p = person(due_in=settings.SILENT_CERTIFY_WINDOW_DAYS + 10)
    add_event(p, "vaccination", ago=1)
    assert run()["certified"] == 0
    assert grade_of(p).grade == "strong"


def test_the_due_date_is_only_rolled_forward(person, add_event):
    p = person(due_in=30)
    old = add_event(p, "vaccination", ago=340)  # + 12 months is before the current due date
    assert add_months(old.event_date, 12) < p.next_due
    assert run()["certified"] == 0
    p.refresh_from_db()
    assert p.next_due == timezone.localdate() + datetime.timedelta(days=30)


def test_the_newest_strong_event_is_the_proof(person, add_event):
    p = person(due_in=10)
    add_event(p, "vaccination", ago=100)
    newest = add_event(p, "senior_bus_card_check", ago=2)
    run()
    assert Decision.objects.get(pensioner=p).trigger_id == newest.pk


def test_an_overdue_suspended_person_is_certified_and_a_resumption_case_opens(person, add_event):
    p = person(
        due_in=-40,
        benefit_status=Pensioner.BenefitStatus.SUSPENDED,
        suspension_reason=Pensioner.SuspensionReason.OVERDUE,
        status_since=days_ago(10),
    )
    add_event(p, "vaccination", ago=1)
    assert run()["certified"] == 1
    assert Case.objects.get(pensioner=p).category == Case.Category.RESUMPTION


def test_an_inactive_source_counts_for_nothing(person, add_event):
    p = person(due_in=30)
    add_event(p, "vaccination", ago=1)
    DataSource.objects.filter(key="vaccination").update(active=False)
    assert run()["certified"] == 0


# --- deceased, terminated ----------------------------------------------------------------------


def test_a_strong_event_for_a_terminated_person_certifies_nobody(person, add_event):
    p = person(due_in=10, benefit_status=Pensioner.BenefitStatus.TERMINATED)
    add_event(p, "vaccination", ago=1)
    assert run()["certified"] == 0
    assert not Certification.objects.filter(pensioner=p).exists()


def test_activity_after_a_recorded_death_opens_a_data_quality_case_and_never_certifies(person, add_event):
    p = person(due_in=10, benefit_status=Pensioner.BenefitStatus.TERMINATED, deceased_on=days_ago(60))
    event = add_event(p, "vaccination", ago=5)
    result = run()
    assert result["certified"] == 0 and result["cases"] == 1
    case = Case.objects.get(pensioner=p)
    assert case.category == Case.Category.DATA_QUALITY
    assert case.source == Case.Source.DATA_COMPARISON
    assert case.details["reports"][0]["evidence"] == [event.pk]
    assert not Certification.objects.filter(pensioner=p).exists()
    assert run()["cases"] == 0


def test_activity_before_the_recorded_death_is_no_case(person, add_event):
    p = person(due_in=10, benefit_status=Pensioner.BenefitStatus.TERMINATED, deceased_on=days_ago(5))
    add_event(p, "transit_ride", ago=20)
    assert run()["cases"] == 0


# --- death signals -----------------------------------------------------------------------------


def test_a_death_event_holds_payment_and_opens_a_suspected_death_case_with_the_source(person, add_event):
    p = person(due_in=100)
    event = add_event(p, "household_deregistration", ago=3)
    result = run()
    assert (result["holds"], result["cases"]) == (1, 1)
    case = Case.objects.get(pensioner=p)
    assert (case.category, case.source) == (Case.Category.SUSPECTED_DEATH, Case.Source.DATA_COMPARISON)
    report = case.details["reports"][0]
    assert report["source"] == "household_deregistration" and report["evidence"] == [event.pk]
    assert report["event"] == "death" and report["event_date"] == event.event_date.isoformat()
    assert Benefit.objects.get(pensioner=p).status == Benefit.Status.HELD
    assert AuditEvent.objects.filter(action="silent.death_hold", details__evidence=[event.pk]).exists()


def test_a_death_signal_blocks_silent_certification(person, add_event):
    p = person(due_in=10)
    add_event(p, "vaccination", ago=10)
    add_event(p, "cremation", ago=2)
    assert run()["certified"] == 0
    grade = grade_of(p)
    assert (grade.grade, grade.death_signal) == ("low", True)


def test_death_after_activity_holds_and_the_earlier_proof_does_not_certify(person, add_event):
    p = person(due_in=10)
    add_event(p, "inpatient_settlement", ago=20)
    add_event(p, "death_certificate", ago=5)
    result = run()
    assert (result["certified"], result["holds"], result["cases"]) == (0, 1, 1)


def test_activity_after_a_death_signal_opens_a_data_quality_case(person, add_event):
    p = person(due_in=10)
    add_event(p, "cremation", ago=30)
    add_event(p, "bank_counter", ago=3)
    run()
    categories = set(Case.objects.filter(pensioner=p).values_list("category", flat=True))
    assert categories == {Case.Category.SUSPECTED_DEATH, Case.Category.DATA_QUALITY}
    assert not Certification.objects.filter(pensioner=p).exists()


def test_a_rejected_suspected_death_case_lifts_the_block(person, add_event):
    p = person(due_in=10)
    add_event(p, "cremation", ago=30)
    run()
    case = Case.objects.get(pensioner=p)
    case_accept(case=case, actor=StaffFactory(roles=[Role.CASEWORKER]))
    case_reject(case=case, actor=StaffFactory(roles=[Role.REVIEWER]), note="visited, alive")
    assert Benefit.objects.get(pensioner=p).status == Benefit.Status.ACTIVE
    add_event(p, "vaccination", ago=1)
    assert run()["certified"] == 1


def test_a_death_event_for_a_terminated_person_does_nothing(person, add_event):
    p = person(due_in=10, benefit_status=Pensioner.BenefitStatus.TERMINATED)
    add_event(p, "cremation", ago=3)
    assert run() == {"certified": 0, "graded": 0, "holds": 0, "suspensions": 0, "cases": 0}
    assert Decision.objects.get(pensioner=p).outcome == "no_action"


# --- custody and release -----------------------------------------------------------------------


def test_custody_suspends_and_opens_an_imprisoned_case(person, add_event):
    p = person(due_in=100)
    event = add_event(p, "prison_admission", ago=10)
    result = run()
    assert (result["suspensions"], result["cases"]) == (1, 1)
    benefit = Benefit.objects.get(pensioner=p)
    assert (benefit.status, benefit.status_reason) == (Benefit.Status.SUSPENDED, Benefit.Reason.CASE)
    case = Case.objects.get(pensioner=p)
    assert case.category == Case.Category.IMPRISONED
    assert case.details["reports"][0]["evidence"] == [event.pk]


def test_custody_then_release_opens_a_resumption_review_from_the_release_date(person, add_event):
    p = person(due_in=100)
    add_event(p, "court_sentence", ago=200)
    run()
    # The suspension took effect months ago.
    Pensioner.objects.filter(pk=p.pk).update(status_since=days_ago(190))
    Benefit.objects.filter(pensioner=p).update(status_since=days_ago(190))
    release = add_event(p, "prison_release", ago=2)
    result = run()
    assert (result["cases"], result["suspensions"]) == (1, 0)
    case = Case.objects.get(pensioner=p, category=Case.Category.RESUMPTION)
    assert case.source == Case.Source.DATA_COMPARISON
    assert case.details["suspension"]["since"] == release.event_date.isoformat()  # no back pay for custody
    assert not case.requires_city_review
    assert Benefit.objects.get(pensioner=p).status == Benefit.Status.SUSPENDED  # resumed only on approval


def test_a_person_in_custody_is_not_certified_silently(person, add_event):
    p = person(due_in=10)
    add_event(p, "prison_admission", ago=10)
    add_event(p, "inpatient_settlement", ago=2)
    assert run()["certified"] == 0


# --- weak evidence and grades ------------------------------------------------------------------


def test_two_fresh_weak_sources_certify(person, add_event):
    p = person(due_in=10)
    bank = add_event(p, "bank_counter", ago=0)
    ride = add_event(p, "transit_ride", ago=0)
    assert run()["certified"] == 1
    decision = Decision.objects.get(pensioner=p)
    assert decision.outcome == "certified_weak"
    assert sorted(decision.evidence_ids) == sorted([bank.pk, ride.pk])
    grade = grade_of(p)
    assert (grade.grade, grade.weak_sources, str(grade.score)) == ("strong", 2, "1.100")


def test_the_latest_proof_wins_so_a_second_round_has_nothing_to_add(person, add_event):
    p = person(due_in=10)
    add_event(p, "vaccination", ago=300)  # rolls forward, but less than last week's traces do
    bank = add_event(p, "bank_counter", ago=3)
    add_event(p, "transit_ride", ago=4)
    assert run()["certified"] == 1
    assert Decision.objects.get(pensioner=p).trigger_id == bank.pk
    p.refresh_from_db()
    assert p.next_due == add_months(bank.event_date, 12)
    assert run()["certified"] == 0


def test_many_events_of_one_source_do_not_certify(person, add_event):
    p = person(due_in=10)
    for _ in range(20):
        add_event(p, "bank_counter", ago=0)
    assert run()["certified"] == 0
    grade = grade_of(p)
    assert (grade.grade, str(grade.score)) == ("medium", "0.840")  # 0.7 × (1 + 0.1 × 2), capped


def test_weak_evidence_decays_with_age(person, add_event):
    p = person(due_in=10)
    add_event(p, "bank_counter", ago=45)  # 0.7 × (1 - 45/90) = 0.35
    add_event(p, "outpatient_visit", ago=45)  # 0.6 × 0.5 = 0.30
    assert run()["certified"] == 0
    grade = grade_of(p)
    assert (grade.grade, str(grade.score)) == ("medium", "0.650")


def test_no_traces_is_a_low_grade(person):
    p = person(due_in=10)
    run()
    assert (grade_of(p).grade, grade_of(p).graded_on) == ("low", timezone.localdate())


def test_the_thresholds_are_settings(person, add_event, settings):
    settings.SILENT_WEAK_CERTIFY_SCORE = 0.5
    settings.SILENT_WEAK_MIN_SOURCES = 1
    p = person(due_in=10)
    add_event(p, "bank_counter", ago=0)
    assert run()["certified"] == 1


def test_the_round_report_counts_by_source_and_outcome(person, add_event):
    add_event(person(due_in=10), "vaccination", ago=1)
    add_event(person(due_in=10), "vaccination", ago=2)
    add_event(person(due_in=100), "cremation", ago=2)
    report = silent_round()
    assert report.by_source == {"cremation": {"death_hold": 1}, "vaccination": {"certified_strong": 2}}
    assert report.by_outcome == {"certified_strong": 2, "death_hold": 1}
    assert report.grades == {"strong": 2, "low": 1}
    assert report.finished_at is not None


# --- the "no action needed" SMS ----------------------------------------------------------------


def test_a_silent_certification_texts_that_data_comparison_did_it(
    person, add_event, django_capture_on_commit_callbacks
):
    from notifications.models import SmsOutbox

    p = person(due_in=30)
    event = add_event(p, "vaccination", ago=10)
    with django_capture_on_commit_callbacks(execute=True):
        run()
    sms = SmsOutbox.objects.get(pensioner_id_ref=p.pk)
    assert sms.template == "certified_silent"
    assert "通过数据比对" in sms.text
    assert add_months(event.event_date, 12).strftime("%Y年%-m月%-d日") in sms.text


def test_a_face_certification_keeps_the_plain_text(person, django_capture_on_commit_callbacks):
    from notifications.models import SmsOutbox
    from selfservice.services import certification_record

    p = person(due_in=30)
    with django_capture_on_commit_callbacks(execute=True):
        certification_record(pensioner=p, method="face", recorded_by=None)
    assert SmsOutbox.objects.get(pensioner_id_ref=p.pk).template == "certified"


def test_a_signal_that_fails_is_rolled_back_alone_and_the_other_signals_are_kept(person, add_event, monkeypatch):
    from silent.services import rounds

    failing, fine = person(due_in=30), person(due_in=30)
    add_event(failing, "cremation", ago=3)
    add_event(fine, "cremation", ago=2)
    real_hold = rounds.benefits_hold

    def hold(*, pensioner, **kwargs):  # type: ignore[no-untyped-def]
        if pensioner.pk == failing.pk:
            raise rounds.ApplicationError("boom", code="boom")
        return real_hold(pensioner=pensioner, **kwargs)

    monkeypatch.setattr(rounds, "benefits_hold", hold)
    run()
    assert not Case.objects.filter(pensioner=failing).exists()
    assert not Decision.objects.filter(pensioner=failing).exists()
    assert Decision.objects.get(pensioner=fine).outcome == "death_hold"
    assert Case.objects.filter(pensioner=fine, category="suspected_death").exists()
