from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.services import audit_record, audit_record_bulk
from backend.api.errors import ApplicationError
from backend.dates import add_months
from selfservice.models import Certification
from selfservice.reminders import certification_notify, certifications_notify
from selfservice.signals import certification_recorded, certifications_recorded_bulk


@dataclass(frozen=True)
class BulkProof:
    """One proof for ``certification_record_bulk``."""

    pensioner_id: int
    certified_at: datetime.datetime
    evidence_ref: str


@transaction.atomic
def certification_record_bulk(*, proofs: list[BulkProof], method: str) -> dict[int, Certification]:
    """``certification_record`` for many people at once (data comparison at scale), same rules.

    Only people whose benefit is **active** and who are not deceased are certified; anyone else
    (suspended people need the per-person path and its resumption effects; ended benefits get
    nothing) is left out of the result, as is a proof that would not move the due date forward.
    One query locks the chunk, one inserts the certifications, one updates the due dates, one
    appends the audit events (one per certification, as the per-person path);
    ``certifications_recorded_bulk`` is sent once and the "certification complete" SMS is planned
    after commit for each person whose due date it set.
    """
    if not proofs:
        return {}
    now = timezone.now()
    if any(proof.certified_at > now + datetime.timedelta(minutes=5) for proof in proofs):
        raise ApplicationError(_("A certification cannot be dated in the future."), code="certified_in_future")
    by_person = {proof.pensioner_id: proof for proof in proofs}
    people = {
        person.pk: person
        for person in Pensioner.objects.select_for_update(of=("self",))
        .filter(pk__in=list(by_person), benefit_status=Pensioner.BenefitStatus.ACTIVE, deceased_on__isnull=True)
        .select_related("last_certification")
        .only("pk", "next_due", "last_certification__certified_at", "benefit_status", "deceased_on")
        .order_by("pk")
    }
    months = settings.CERTIFICATION_VALIDITY_MONTHS
    new: list[Certification] = []
    for pk in sorted(people):
        proof = by_person[pk]
        valid_until = add_months(timezone.localdate(proof.certified_at), months)
        if valid_until <= people[pk].next_due:
            continue  # never rolls the due date back, and a proof that changes nothing is not recorded
        new.append(
            Certification(
                pensioner_id=pk,
                method=method,
                certified_at=proof.certified_at,
                valid_until=valid_until,
                evidence_ref=proof.evidence_ref,
                recorded_by=None,
            )
        )
    if not new:
        return {}
    Certification.objects.bulk_create(new, batch_size=1000)
    changed = []
    for certification in new:
        person = people[certification.pensioner_id]
        person.next_due = certification.valid_until
        last = person.last_certification
        if last is None or certification.certified_at >= last.certified_at:
            person.last_certification = certification
        changed.append(person)
    Pensioner.objects.bulk_update(changed, ["next_due", "last_certification"], batch_size=1000)
    audit_record_bulk(
        action="certification.record",
        entries=[
            (
                certification,
                certification.pensioner_id,
                {
                    "method": method,
                    "valid_until": certification.valid_until.isoformat(),
                    "next_due": people[certification.pensioner_id].next_due.isoformat(),
                },
            )
            for certification in new
        ],
    )
    certifications_recorded_bulk.send(sender=Certification, certifications=new)
    certifications_notify(certifications=new)
    return {certification.pensioner_id: certification for certification in new}


@transaction.atomic
def certification_record(
    *,
    pensioner: Pensioner,
    method: str,
    recorded_by: User | None,
    evidence_ref: str = "",
    certified_at: datetime.datetime | None = None,
) -> Certification:
    """Record one proof of life and roll the next due date forward (never backwards).

    The pensioner row is locked so two proofs arriving together both count and the later
    validity wins. No certification can be recorded for someone whose benefit has ended.
    """
    locked = Pensioner.objects.select_for_update().get(pk=pensioner.pk)
    if locked.benefit_status == Pensioner.BenefitStatus.TERMINATED or locked.deceased_on is not None:
        raise ApplicationError(
            _("This benefit has ended; no certification can be recorded."),
            code="benefit_ended",
            status_code=409,
        )
    certified_at = certified_at or timezone.now()
    if certified_at > timezone.now() + datetime.timedelta(minutes=5):
        raise ApplicationError(_("A certification cannot be dated in the future."), code="certified_in_future")
    valid_until = add_months(timezone.localdate(certified_at), settings.CERTIFICATION_VALIDITY_MONTHS)
    certification = Certification.objects.create(
        pensioner=locked,
        method=method,
        certified_at=certified_at,
        valid_until=valid_until,
        evidence_ref=evidence_ref,
        recorded_by=recorded_by,
    )
    update_fields = []
    if valid_until > locked.next_due:
        locked.next_due = valid_until
        update_fields.append("next_due")
    last = locked.last_certification
    if last is None or certified_at >= last.certified_at:
        locked.last_certification = certification
        update_fields.append("last_certification")
    if update_fields:
        locked.save(update_fields=update_fields)
    audit_record(
        actor=recorded_by,
        action="certification.record",
        target=certification,
        details={"method": method, "valid_until": valid_until.isoformat(), "next_due": locked.next_due.isoformat()},
    )
    certification_recorded.send(sender=Certification, pensioner=locked, certification=certification)
    certification_notify(certification=certification)
    # Keep the caller's instance current (views serialise it straight after).
    pensioner.next_due = locked.next_due
    pensioner.last_certification = locked.last_certification
    return certification
