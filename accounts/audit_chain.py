"""Checking the audit log's hash chain (writes are in ``accounts.services.audit_record``)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import AuditEvent


@dataclass(frozen=True)
class ChainReport:
    checked: int  # chained events checked
    unchained: int  # events from before the chain existed (no seq)
    head_seq: int | None
    head_hash: str
    broken_seq: int | None = None  # the first position where the chain does not hold
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def audit_chain_verify(*, chunk: int = 2000) -> ChainReport:
    """Walk the chain in ``seq`` order; stop at the first event whose hash, predecessor or position is wrong."""
    unchained = AuditEvent.objects.filter(seq__isnull=True).count()
    expected_seq, prev_hash, checked = 1, "", 0
    events = AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=chunk)
    for event in events:
        reason = ""
        if event.seq != expected_seq:
            reason = f"expected position {expected_seq}, found {event.seq}: events are missing"
        elif event.prev_hash != prev_hash:
            reason = "its previous-hash does not match the event before it"
        elif event.compute_hash() != event.hash:
            reason = "its content does not match its hash (changed after it was written)"
        if reason:
            return ChainReport(checked, unchained, None, "", expected_seq, event.pk, reason)
        expected_seq, prev_hash, checked = (event.seq or 0) + 1, event.hash, checked + 1
    return ChainReport(checked, unchained, expected_seq - 1 if checked else None, prev_hash)
