from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.services import audit_record, audit_record_bulk_refs
from backend.api.errors import ApplicationError
from backend.bulk import bulk_insert
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


_DUE_DATES_SQL = """
UPDATE accounts_pensioner p
SET next_due = v.due,
    last_certification_id = CASE WHEN v.latest THEN v.certification ELSE p.last_certification_id END
FROM unnest(%s::bigint[], %s::date[], %s::bigint[], %s::boolean[]) AS v(id, due, certification, latest)
WHERE p.id = v.id
"""


def _due_dates_set(rows: list[tuple[int, datetime.date, int, bool]]) -> None:
    """(pensioner, new due date, certification, whether it becomes the last one), in one statement
    on PostgreSQL (``bulk_update``'s ``CASE`` of one branch per row costs more than the update)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_DUE_DATES_SQL, [list(column) for column in zip(*rows, strict=True)])
        return
    changed = []
    for pk, due, certification_id, latest in rows:
        person = Pensioner(pk=pk, next_due=due)
        fields = ["next_due"]
        if latest:
            person.last_certification_id = certification_id
            fields.append("last_certification")
        changed.append(person)
    latest_ids = {pk for pk, _due, _cid, latest in rows if latest}
    Pensioner.objects.bulk_update([p for p in changed if p.pk in latest_ids], ["next_due", "last_certification"])
    Pensioner.objects.bulk_update([p for p in changed if p.pk not in latest_ids], ["next_due"])


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
    # Lock and read as plain values (no model instances: this runs for 10^5 people per round).
    people = {
        pk: (next_due, last_at)
        for pk, next_due, last_at in Pensioner.objects.select_for_update(of=("self",))
        .filter(pk__in=list(by_person), benefit_status=Pensioner.BenefitStatus.ACTIVE, deceased_on__isnull=True)
        .order_by("pk")
        .values_list("pk", "next_due", "last_certification__certified_at")
    }
    months = settings.CERTIFICATION_VALIDITY_MONTHS
    new: list[Certification] = []
    for pk in sorted(people):
        proof = by_person[pk]
        valid_until = add_months(timezone.localdate(proof.certified_at), months)
        if valid_until <= people[pk][0]:
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
    bulk_insert(Certification, new)
    # The due date moves to the new validity (always later, checked above); the latest
    # certification becomes the person's last one unless a later-dated one is already there.
    _due_dates_set(
        [
            (
                certification.pensioner_id,
                certification.valid_until,
                certification.pk,
                people[certification.pensioner_id][1] is None
                or certification.certified_at >= people[certification.pensioner_id][1],
            )
            for certification in new
        ]
    )
    audit_record_bulk_refs(
        action="certification.record",
        target_type=Certification._meta.label_lower,
        entries=[
            (
                certification.pk,
                certification.pensioner_id,
                {
                    "method": method,
                    "valid_until": certification.valid_until.isoformat(),
                    "next_due": certification.valid_until.isoformat(),
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
