"""Opening a case (or joining the open one) and adding verification notes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.roles import Role
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseNote,
)
from casework.rules import (
    case_step_guard,
)
from casework.services.evidence import evidence_lock, evidence_resolve


@transaction.atomic
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
    existing = (
        Case.objects.select_for_update()
        .filter(pensioner=pensioner, category=category, status__in=OPEN_STATUSES)
        .first()
    )
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
                    deadline=timezone.localdate() + datetime.timedelta(days=settings.CASEWORK_CASE_DEADLINE_DAYS),
                )
        except IntegrityError:  # a concurrent report opened it first: join that one
            existing = Case.objects.select_for_update().get(
                pensioner=pensioner, category=category, status__in=OPEN_STATUSES
            )
        else:
            audit_record(actor=opened_by, action="case.open", target=case, details={"category": category})
            return case
    existing.details.setdefault("reports", []).append(details or {})
    existing.save(update_fields=["details", "updated_at"])
    audit_record(actor=opened_by, action="case.join", target=existing, details={"source": source})
    return existing


def _case_locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update().select_related("pensioner__region").get(pk=pk)


@transaction.atomic
def case_note_add(
    *, case: Case, actor: User, text: str, evidence_ids: Sequence[int] = (), request: HttpRequest | None = None
) -> CaseNote:
    """A verification step (phone call, visit, document checked) with optional evidence."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}, allow_assignee=True)
    if not text.strip():
        raise ApplicationError(fields={"text": [_("This field may not be blank.")]}, code="invalid")
    evidence = evidence_resolve(actor=actor, evidence_ids=evidence_ids)
    evidence_lock(evidence)
    note = CaseNote.objects.create(case=case, author=actor, text=text.strip()[:2000])
    case.evidence.add(*evidence)
    audit_record(
        actor=actor,
        action="case.note",
        target=case,
        details={"note": note.pk, "evidence": [e.pk for e in evidence]},
        request=request,
    )
    return note
