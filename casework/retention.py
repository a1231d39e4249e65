"""Evidence retention: files are deleted ``CASEWORK_EVIDENCE_RETENTION_DAYS`` after the last case they
belong to was closed (the legal keeping period; set it from the office's archive rules).

A file belongs to a case directly (``Case.evidence``) or through a death report or a monthly report
item filed under one. Files of an open case, or of no case at all, are not touched here.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from accounts.services import audit_record
from casework.models import Case, EvidenceFile, MonthlyReportItem


def _owning_cases(evidence: EvidenceFile) -> list[Case]:
    return list(
        Case.objects.filter(
            Q(evidence=evidence) | Q(death_reports__evidence=evidence) | Q(report_items__evidence=evidence)
        ).distinct()
    )


def _on_a_report_item_without_case(evidence: EvidenceFile) -> bool:
    through = MonthlyReportItem.evidence.through
    return through.objects.filter(evidencefile=evidence, monthlyreportitem__case__isnull=True).exists()


def evidence_expired_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete evidence whose every case closed before the keeping period began; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.CASEWORK_EVIDENCE_RETENTION_DAYS)
    closed_long_ago = Case.objects.filter(status=Case.Status.CLOSED, closed_at__lt=cutoff)
    candidates = EvidenceFile.objects.filter(
        Q(cases__in=closed_long_ago)
        | Q(death_reports__case__in=closed_long_ago)
        | Q(pk__in=closed_long_ago.values("report_items__evidence"))
    ).distinct()
    deleted = 0
    for evidence in candidates.iterator():
        cases = _owning_cases(evidence)
        if not cases or any(c.status != Case.Status.CLOSED or not c.closed_at or c.closed_at >= cutoff for c in cases):
            continue
        if _on_a_report_item_without_case(evidence):
            continue
        name = evidence.file.name
        with transaction.atomic():
            audit_record(
                actor=None,
                action="retention.evidence_delete",
                target=cases[0],
                details={"evidence": evidence.pk, "sha256": evidence.sha256, "cases": [c.pk for c in cases]},
            )
            evidence.delete()
        if name:
            EvidenceFile._meta.get_field("file").storage.delete(name)
        deleted += 1
    return deleted


def _orphans(cutoff: datetime.datetime) -> QuerySet[EvidenceFile]:
    """Uploads older than ``cutoff`` that no case, death report, report item or proof of life uses."""
    on_items = MonthlyReportItem.evidence.through.objects.values("evidencefile_id")
    return EvidenceFile.objects.filter(
        created_at__lt=cutoff,
        cases__isnull=True,
        death_reports__isnull=True,
        proof_of_life__isnull=True,
    ).exclude(pk__in=on_items)


def _evidence_file_delete(name: str) -> None:
    """Remove a stored evidence file (kept apart: the storage may change)."""
    if name:
        EvidenceFile._meta.get_field("file").storage.delete(name)


def evidence_orphans_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete uploads never attached to anything ``CASEWORK_EVIDENCE_ORPHAN_HOURS`` after they came in.

    Each row is first locked without waiting (an upload being attached is locked by the attaching
    transaction, ``casework.services.evidence.evidence_lock``, and skipped), then checked again for
    links in a *separate* statement: on PostgreSQL a statement sees what was committed before it began,
    so the check made together with the lock could miss a link committed while it waited for the row.
    A report attaching the upload at that moment either keeps it or, if the purge locked it first,
    finds it deleted and asks for a new upload. Returns how many were deleted.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(hours=settings.CASEWORK_EVIDENCE_ORPHAN_HOURS)
    deleted = 0
    for pk in list(_orphans(cutoff).values_list("pk", flat=True)[:10_000]):
        with transaction.atomic():
            evidence = (
                EvidenceFile.objects.filter(pk=pk, created_at__lt=cutoff).select_for_update(skip_locked=True).first()
            )
            if evidence is None or not _orphans(cutoff).filter(pk=pk).exists():
                continue  # being attached right now, or attached since it was listed
            name = evidence.file.name
            try:
                with transaction.atomic():
                    audit_record(
                        actor=None,
                        action="retention.evidence_orphan_delete",
                        target=evidence,
                        details={"evidence": pk, "sha256": evidence.sha256, "uploaded_by": evidence.uploaded_by_id},
                    )
                    evidence.delete()
            except ProtectedError:  # something new points at it: keep it
                continue
            transaction.on_commit(lambda name=name: _evidence_file_delete(name))  # type: ignore[misc]
        deleted += 1
    return deleted
