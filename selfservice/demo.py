"""Demo data of the certification and benefit core (discovered by ``manage.py seed_demo``): each
demo person's benefits (one in ten holds two) and last certification. Deterministic per person,
so a re-run creates nothing new."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from accounts.models import Pensioner, Region
from backend.dates import add_months
from selfservice.benefits import benefit_state_for_summary
from selfservice.models import Benefit, Certification

# The previous cycle's proofs. Silent certifications are not made by hand: silent/demo.py loads
# agencies' evidence files and runs the comparison round, which certifies from data.
DEMO_METHODS = ["face"] * 5 + ["proxy_face"] * 3 + ["onsite"] * 3 + ["counter"]
PENSION_KINDS = [Benefit.Kind.ENTERPRISE, Benefit.Kind.INSTITUTION, Benefit.Kind.URBAN_RURAL]
SECOND_KINDS = [Benefit.Kind.SURVIVOR, Benefit.Kind.WORK_INJURY, Benefit.Kind.OLD_AGE_ALLOWANCE]


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: Any) -> list[str]:
    _benefits()
    _certifications()
    return []


def _benefits() -> None:
    """Each person's benefits, matching the summary the registry seed gave them."""
    people = Pensioner.objects.filter(benefits__isnull=True).values_list(
        "pk", "id_number", "benefit_status", "suspension_reason", "status_since", "deceased_on", "region__code"
    )
    offices = dict(Region.objects.filter(level=Region.Level.COUNTY).values_list("code", "pk"))
    rows = []
    for pk, id_number, summary, reason, since, deceased_on, village_code in people.iterator(chunk_size=2000):
        rng = random.Random(f"demo-benefit-{id_number}")
        status, status_reason = benefit_state_for_summary(summary, reason, deceased=deceased_on is not None)
        kinds = [rng.choice(PENSION_KINDS)]
        if rng.random() < 0.1:  # a survivor's or work-injury benefit, or the old-age allowance, besides
            kinds.append(rng.choice(SECOND_KINDS))
        for kind in kinds:
            rows.append(
                Benefit(
                    pensioner_id=pk,
                    kind=kind,
                    paying_office_id=offices.get(f"{village_code[:6]}000000"),
                    status=status,
                    status_reason=status_reason,
                    status_since=since,
                    monthly_amount=Decimal(rng.randint(180, 5200) if kind in PENSION_KINDS else rng.randint(50, 900)),
                    start_date=datetime.date(rng.randint(2000, 2020), rng.randint(1, 12), 1),
                )
            )
    Benefit.objects.bulk_create(rows, batch_size=1000)


def _certifications() -> None:
    """The certification that set each uncertified demo pensioner's current due date."""
    people = list(Pensioner.objects.filter(last_certification__isnull=True).values_list("pk", "id_number", "next_due"))
    certifications = []
    for pk, id_number, valid_until in people:
        rng = random.Random(f"demo-certification-{id_number}")
        certified_on = add_months(valid_until, -12)
        certifications.append(
            Certification(
                pensioner_id=pk,
                method=rng.choice(DEMO_METHODS),
                certified_at=timezone.make_aware(datetime.datetime.combine(certified_on, datetime.time(10, 0))),
                valid_until=valid_until,
                evidence_ref="demo",
            )
        )
    Certification.objects.bulk_create(certifications, batch_size=500)
    for certification in Certification.objects.filter(pensioner_id__in=[pk for pk, _n, _d in people]):
        Pensioner.objects.filter(pk=certification.pensioner_id).update(last_certification=certification)
