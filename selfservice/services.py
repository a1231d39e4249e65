from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from backend.dates import add_months
from selfservice.models import Certification
from selfservice.reminders import certification_notify
from selfservice.signals import certification_recorded


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
