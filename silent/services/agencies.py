"""Agency API batches: who is sending (HMAC over the exact body), may they send this source, and
has this batch id been loaded already (then the stored result is the answer)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backend.api.errors import ApplicationError, ConflictError, ForbiddenError
from silent.models import Agency, DataSource, IngestBatch
from silent.services.ingest import evidence_ingest_rows


def body_signature(*, secret: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of the request body with the agency's secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def agency_authenticate(*, key: str, signature: str, body: bytes) -> Agency:
    """The agency whose secret signed ``body``; one answer for unknown key and bad signature."""
    agency = Agency.objects.filter(key=key or "", active=True).exclude(secret="").first()
    given = (signature or "").strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    expected = body_signature(secret=agency.secret if agency else "-", body=body)
    if agency is None or not hmac.compare_digest(given, expected):
        raise ApplicationError(
            _("The agency key or the batch signature is not valid."), code="bad_signature", status_code=401
        )
    return agency


def evidence_batch_receive(
    *, agency: Agency, source_key: str, batch_id: str, rows: list[Any], body: bytes
) -> tuple[IngestBatch, bool]:
    """Load one API batch, or return the stored one for a replayed batch id: ``(batch, replayed)``."""
    source = DataSource.objects.filter(key=source_key, agency=agency).first()
    if source is None:
        raise ForbiddenError(_("Your agency may not send records of this source."), code="source_not_allowed")
    if not source.active:
        raise ForbiddenError(_("This source is not active."), code="source_inactive")
    digest = hashlib.sha256(body).hexdigest()
    existing = _stored(agency=agency, batch_id=batch_id, digest=digest)
    if existing is not None:
        return existing, True
    try:
        with transaction.atomic():
            batch = IngestBatch.objects.create(
                source=source,
                agency=agency,
                channel=IngestBatch.Channel.API,
                client_batch_id=batch_id,
                body_sha256=digest,
            )
            return evidence_ingest_rows(source=source, batch=batch, rows=rows), False
    except IntegrityError:
        existing = _stored(agency=agency, batch_id=batch_id, digest=digest)
        if existing is None:
            raise
        return existing, True


def _stored(*, agency: Agency, batch_id: str, digest: str) -> IngestBatch | None:
    existing = IngestBatch.objects.filter(
        agency=agency, channel=IngestBatch.Channel.API, client_batch_id=batch_id
    ).first()
    if existing is not None and existing.body_sha256 != digest:
        raise ConflictError(
            _("This batch id was already used for different records; use a new batch id."), code="batch_id_reused"
        )
    return existing
