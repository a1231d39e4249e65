"""The audit log's writes: every event appended to the hash chain (``accounts.audit_chain`` checks it)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AuditEvent, Pensioner, User, audit_canonical, audit_time
from backend.api.clients import client_ip
from backend.locks import transaction_lock


def audit_record(
    *,
    actor: User | None,
    action: str,
    target: models.Model,
    details: dict[str, Any] | None = None,
    request: HttpRequest | None = None,
    pensioner_id: int | None = None,
) -> AuditEvent:
    """Append one event, chained to the previous one. Called inside the same transaction as the change
    it records; appends are serialised (a named lock held to commit) so the chain has one order."""
    if pensioner_id is None:
        pensioner_id = target.pk if isinstance(target, Pensioner) else getattr(target, "pensioner_id", None)
    # No savepoint: a failed append must fail the change it records, and it saves two queries.
    with transaction.atomic(savepoint=False):
        transaction_lock("accounts.audit-chain")
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash").first()
        event = AuditEvent(
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            target_type=target._meta.label_lower,
            target_id=str(target.pk),
            pensioner_id_ref=pensioner_id,
            client_ip=AuditEvent._meta.get_field("client_ip").get_prep_value(client_ip(request)),
            details=json.loads(json.dumps(details or {}, cls=DjangoJSONEncoder)),
            created_at=timezone.now(),
            seq=(last["seq"] or 0) + 1 if last else 1,
            prev_hash=last["hash"] if last else "",
        )
        event.hash = event.compute_hash()
        event.save(force_insert=True)
    return event


def audit_record_bulk(*, action: str, entries: list[tuple[models.Model, int | None, dict[str, Any]]]) -> int:
    """Append many system events (no actor, no request) to the chain at once: one lock, one read of
    the chain's end, one insert. ``entries``: (target, pensioner id, details). Same rows and hashes
    as calling ``audit_record`` for each in order."""
    if not entries:
        return 0
    target_type = entries[0][0]._meta.label_lower
    if any(target._meta.label_lower != target_type for target, _pid, _details in entries):
        raise ValueError("audit_record_bulk: one target model per call")
    return audit_record_bulk_refs(
        action=action,
        target_type=target_type,
        entries=[(target.pk, pensioner_id, details) for target, pensioner_id, details in entries],
    )


def audit_record_bulk_refs(
    *, action: str, target_type: str, entries: list[tuple[Any, int | None, dict[str, Any]]]
) -> int:
    """``audit_record_bulk`` by reference (target model label, target pk), for callers that hold ids
    rather than model instances (the comparison round at 10^5 events). The hashes are computed in
    Python in chain order, as ``AuditEvent.compute_hash`` does; on PostgreSQL the rows go in with
    ``COPY`` (no model instances), elsewhere with ``bulk_create``."""
    if not entries:
        return 0
    with transaction.atomic(savepoint=False):
        transaction_lock("accounts.audit-chain")
        last = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash").first()
        seq, prev = ((last["seq"] or 0), last["hash"]) if last else (0, "")
        now = timezone.now()
        created = audit_time(now)
        rows: list[tuple[Any, ...]] = []
        for target_id, pensioner_id, details in entries:
            seq += 1
            encoded = json.dumps(details, cls=DjangoJSONEncoder)
            plain = json.loads(encoded)  # what the database gives back, so verification hashes the same
            digest = hashlib.sha256(
                audit_canonical(
                    seq, prev, created, None, action, target_type, str(target_id), pensioner_id, None, plain
                )
            ).hexdigest()
            rows.append((action, target_type, str(target_id), pensioner_id, encoded, plain, seq, prev, digest))
            prev = digest
        if connection.vendor == "postgresql":
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(
                    "COPY accounts_auditevent (actor_id, action, target_type, target_id, pensioner_id_ref, created_at, "
                    "client_ip, details, seq, prev_hash, hash) FROM STDIN"
                ) as copy,
            ):
                for act, ttype, tid, pid, encoded, _plain, position, before, digest in rows:
                    copy.write_row((None, act, ttype, tid, pid, now, None, encoded, position, before, digest))
        else:
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        actor=None,
                        action=act,
                        target_type=ttype,
                        target_id=tid,
                        pensioner_id_ref=pid,
                        client_ip=None,
                        details=plain,
                        created_at=now,
                        seq=position,
                        prev_hash=before,
                        hash=digest,
                    )
                    for act, ttype, tid, pid, _encoded, plain, position, before, digest in rows
                ],
                batch_size=1000,
            )
    return len(rows)
