from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from accounts.models import Pensioner, User
from accounts.services import audit_record
from casework.models import OPEN_STATUSES, Case


def case_open(
    *,
    pensioner: Pensioner,
    category: str,
    source: str,
    opened_by: User | None = None,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> Case:
    """Open a case, or join the open case of the same category so a second report adds to the first."""
    existing = Case.objects.filter(pensioner=pensioner, category=category, status__in=OPEN_STATUSES).first()
    if existing is None:
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    pensioner=pensioner,
                    category=category,
                    source=source,
                    opened_by=opened_by,
                    summary=summary[:300],
                    details={"reports": [details or {}]},
                )
        except IntegrityError:  # a concurrent report opened it first: join that one
            existing = Case.objects.get(pensioner=pensioner, category=category, status__in=OPEN_STATUSES)
        else:
            audit_record(actor=opened_by, action="case.open", target=case, details={"category": category})
            return case
    existing.details.setdefault("reports", []).append(details or {})
    existing.save(update_fields=["details", "updated_at"])
    audit_record(actor=opened_by, action="case.join", target=existing, details={"source": source})
    return existing
