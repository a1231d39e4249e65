"""One face, one benefit identity: the duplicate-face check at enrollment and the nightly scan."""

from __future__ import annotations

import logging

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from casework.models import Case
from casework.services import case_open
from facecheck import selectors
from facecheck.engine.pipeline import FaceEngine
from facecheck.models import DuplicateFinding, FaceTemplate
from facecheck.services.common import face_engine

logger = logging.getLogger(__name__)


def face_duplicates_check(*, template: FaceTemplate, engine: FaceEngine | None = None) -> list[DuplicateFinding]:
    """Search every other pensioner's active templates for this face; a case for each new match."""
    from facecheck.dedup import template_index

    engine = engine or face_engine()
    thresholds = engine.thresholds()
    index = template_index(model_id=template.model_id, dim=template.embedding_dim)
    matches = index.search(
        template.vector, k=10, exclude_owner=template.pensioner_id, threshold=thresholds["duplicate"]
    )
    findings = []
    for match in matches:
        other = FaceTemplate.objects.filter(pk=match.template_id, is_active=True).first()
        if other is None:  # retired since the index was synchronised
            continue
        finding = _duplicate_record(template, other, match.score)
        if finding is not None:
            findings.append(finding)
    return findings


def _duplicate_record(new: FaceTemplate, other: FaceTemplate, score: float) -> DuplicateFinding | None:
    """Record a pair once; open (or join) a duplicate_face case on the newer template's pensioner."""
    a, b = sorted((new, other), key=lambda t: t.pk)
    finding, created = DuplicateFinding.objects.get_or_create(
        template_a=a, template_b=b, defaults={"score": score, "model_id": new.model_id}
    )
    if not created:
        return None
    newer, older = (b, a)
    case = case_open(
        pensioner=newer.pensioner,
        category=Case.Category.DUPLICATE_FACE,
        source=Case.Source.FACE_CHECK,
        summary=_("The enrolled face matches another pensioner's face."),
        details={
            "other_pensioner_id": older.pensioner_id,
            "template_id": newer.pk,
            "other_template_id": older.pk,
            "score": round(score, 4),
            "model_id": new.model_id,
        },
    )
    finding.case = case
    finding.save(update_fields=["case"])
    return finding


def face_duplicates_scan() -> int:
    """Scheduled: all active templates of the current model against each other. Returns new findings."""
    from facecheck.engine.index import EmbeddingIndex

    engine = face_engine()
    threshold = engine.thresholds()["duplicate"]
    index = EmbeddingIndex(engine.embedding_dim)
    ids, owners, vectors = [], [], []
    for row in selectors.active_templates_for_index(model_id=engine.model_id).iterator(chunk_size=5000):
        ids.append(row.pk)
        owners.append(row.pensioner_id)
        vectors.append(np.frombuffer(bytes(row.embedding), dtype=np.float32))
    if not ids:
        return 0
    index.add(ids, owners, np.stack(vectors))
    created = 0
    for left, right in index.scan_duplicates(threshold):
        templates = FaceTemplate.objects.filter(pk__in=[left.template_id, right.template_id], is_active=True)
        by_id = {t.pk: t for t in templates.select_related("pensioner")}
        if len(by_id) != 2:
            continue
        with transaction.atomic():
            if _duplicate_record(by_id[left.template_id], by_id[right.template_id], left.score) is not None:
                created += 1
    logger.info("duplicate face scan: %d templates, %d new findings", len(ids), created)
    return created
