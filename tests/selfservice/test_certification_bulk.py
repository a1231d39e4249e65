"""certification_record_bulk: the per-person rules, many people at once (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import AuditEvent
from backend.dates import add_months
from notifications.models import SmsOutbox
from selfservice.models import Certification
from selfservice.services import BulkProof, certification_record_bulk
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db


def proof(person, days_ago: int = 1, ref: str = "silent:vaccination:V1") -> BulkProof:  # type: ignore[no-untyped-def]
    return BulkProof(
        pensioner_id=person.pk, certified_at=timezone.now() - datetime.timedelta(days=days_ago), evidence_ref=ref
    )


def test_certifies_and_rolls_the_due_date_forward():
    person = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=20))
    done = certification_record_bulk(proofs=[proof(person)], method="silent")
    person.refresh_from_db()
    certification = Certification.objects.get()
    assert done == {person.pk: certification}
    assert (
        person.next_due == certification.valid_until == add_months(timezone.localdate(certification.certified_at), 12)
    )
    assert person.last_certification_id == certification.pk
    assert certification.evidence_ref == "silent:vaccination:V1"


def test_never_rolls_the_due_date_back():
    far = timezone.localdate() + datetime.timedelta(days=500)
    person = PensionerFactory(next_due=far)
    assert certification_record_bulk(proofs=[proof(person)], method="silent") == {}
    person.refresh_from_db()
    assert person.next_due == far
    assert not Certification.objects.exists()


@pytest.mark.parametrize(
    "state",
    [
        {"benefit_status": "terminated"},
        {"benefit_status": "suspended", "suspension_reason": "overdue"},
        {"benefit_status": "suspended", "suspension_reason": "death_report"},
    ],
)
def test_only_active_people_are_certified(state):
    person = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=20), **state)
    assert certification_record_bulk(proofs=[proof(person)], method="silent") == {}
    assert not Certification.objects.exists()


def test_every_certification_is_audited_on_its_person():
    people = [PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=20)) for _ in range(3)]
    certification_record_bulk(proofs=[proof(p) for p in people], method="silent")
    audits = AuditEvent.objects.filter(action="certification.record").order_by("seq")
    assert [a.pensioner_id_ref for a in audits] == [p.pk for p in people]
    assert all(a.details["method"] == "silent" for a in audits)
    # One chain: each event's previous hash is the event before it.
    assert [a.prev_hash for a in audits][1:] == [a.hash for a in audits][:-1]
    assert all(a.hash == a.compute_hash() for a in audits)


def test_the_no_action_needed_sms_is_planned_once(django_capture_on_commit_callbacks):
    person = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=20))
    with django_capture_on_commit_callbacks(execute=True):
        certification_record_bulk(proofs=[proof(person, days_ago=2)], method="silent")
    with django_capture_on_commit_callbacks(execute=True):
        certification_record_bulk(proofs=[proof(person, days_ago=1)], method="silent")  # a day later: newer
    person.refresh_from_db()
    rows = list(SmsOutbox.objects.filter(pensioner_id_ref=person.pk))
    assert [r.template for r in rows] == ["certified_silent", "certified_silent"]
    assert rows[-1].reason == f"certified:{person.pk}:{person.next_due.isoformat()}"
    with django_capture_on_commit_callbacks(execute=True):
        certification_record_bulk(proofs=[proof(person, days_ago=1)], method="silent")  # changes nothing
    assert SmsOutbox.objects.filter(pensioner_id_ref=person.pk).count() == 2


def test_a_certification_in_the_future_is_refused():
    from backend.api.errors import ApplicationError

    person = PensionerFactory()
    with pytest.raises(ApplicationError):
        certification_record_bulk(proofs=[proof(person, days_ago=-1)], method="silent")


def test_a_later_dated_last_certification_stays_the_last_one():
    """The due date moves forward, but the person's last certification stays the newer-dated one."""
    from selfservice.services import certification_record

    person = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=20))
    face = certification_record(pensioner=person, method="face", recorded_by=None)
    Pensioner = type(person)
    Pensioner.objects.filter(pk=person.pk).update(next_due=timezone.localdate() + datetime.timedelta(days=20))
    done = certification_record_bulk(proofs=[proof(person, days_ago=3)], method="silent")
    person.refresh_from_db()
    assert person.next_due == done[person.pk].valid_until
    assert person.last_certification_id == face.pk
