"""Demo data of the certification core: each demo pensioner's last certification (discovered by
``manage.py seed_demo``). Deterministic per person, so a re-run creates nothing new."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.utils import timezone

from accounts.models import Pensioner
from backend.dates import add_months
from selfservice.models import Certification

DEMO_METHODS = ["silent"] * 9 + ["face", "proxy_face", "onsite"]


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: Any) -> list[str]:
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
    return []
