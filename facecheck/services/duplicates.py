"""One face, one benefit identity: the duplicate-face check at enrollment and the nightly scan."""

from __future__ import annotations

import datetime
import logging

import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.models import Case
from casework.services import case_open
from facecheck import selectors
from facecheck.engine.matching import duplicate_threshold_for
from facecheck.engine.pipeline import FaceEngine
from facecheck.models import DuplicateFinding, FaceTemplate
from facecheck.services.common import face_engine

logger = logging.getLogger(__name__)


def face_duplicates_check(*, template: FaceTemplate, engine: FaceEngine | None = None) -> list[DuplicateFinding]:
    """Search every other pensioner's active templates for this face; a case for each new match."""
    from facecheck.dedup import template_index

    engine = engine or face_engine()
    index = template_index(model_id=template.model_id, dim=template.embedding_dim)
    threshold = _gallery_threshold(engine, len(index))
    matches = index.search(template.vector, k=10, exclude_owner=template.pensioner_id, threshold=threshold)
    findings = []
    for match in matches:
        other = FaceTemplate.objects.filter(pk=match.template_id, is_active=True).first()
        if other is None:  # retired since the index was synchronised
            continue
        score = float(template.vector @ other.vector)  # exact, on the stored embeddings (ANN scores are not)
        if score < threshold:
            continue
        finding = _duplicate_record(template, other, score, threshold)
        if finding is not None:
            findings.append(finding)
    return findings


def _gallery_threshold(engine: FaceEngine, gallery_size: int) -> float:
    """``duplicate`` raised for a search over this many templates (engine.matching.duplicate_threshold_for)."""
    per_search = float(getattr(settings, "FACECHECK_DUPLICATE_FALSE_MATCHES_PER_SEARCH", 0.0))
    return duplicate_threshold_for(engine.thresholds(), gallery_size, per_search)


def _duplicate_record(
    new: FaceTemplate, other: FaceTemplate, score: float, threshold: float
) -> DuplicateFinding | None:
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
            "threshold": round(threshold, 4),
            "model_id": new.model_id,
        },
    )
    finding.case = case
    finding.save(update_fields=["case"])
    return finding


def face_duplicates_scan() -> int:
    """Scheduled: all active templates of the current model against each other. Returns new findings.

    Up to ``FACECHECK_ANN_MIN_TEMPLATES`` templates: the exact blocked all-pairs product. Above it: each
    template created in the last ``FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS`` (0: every template) queries the
    approximate index (faiss) of all of them for candidates, each confirmed on the stored embeddings. At
    10 million templates querying every one would take ~2 days (docs/benchmarks.md); the enrollment check
    already compared each template with the gallery, so the nightly scan catches what it could not see
    (templates enrolled at the same moment in another process).
    """
    from facecheck.dedup import ann_wanted
    from facecheck.engine.index import EmbeddingIndex

    engine = face_engine()
    rows = selectors.active_templates_for_index(model_id=engine.model_id)
    total = rows.count()
    threshold = _gallery_threshold(engine, total)  # each template meets the whole gallery, as at enrolment
    if ann_wanted(total):
        return _scan_approximate(engine, threshold)
    index = EmbeddingIndex(engine.embedding_dim)
    ids, owners, vectors = [], [], []
    for row in rows.iterator(chunk_size=5000):
        ids.append(row.pk)
        owners.append(row.pensioner_id)
        vectors.append(np.frombuffer(bytes(row.embedding), dtype=np.float32))
    if not ids:
        return 0
    index.add(ids, owners, np.stack(vectors))
    created = sum(
        _record_pair(left.template_id, right.template_id, threshold) for left, right in index.scan_duplicates(threshold)
    )
    logger.info("duplicate face scan: %d templates, %d new findings", len(ids), created)
    return created


def _record_pair(left_id: int, right_id: int, threshold: float) -> int:
    """Confirm a candidate pair on the stored embeddings and record it; 1 if it is a new finding."""
    templates = FaceTemplate.objects.filter(pk__in=[left_id, right_id], is_active=True)
    by_id = {t.pk: t for t in templates.select_related("pensioner")}
    if len(by_id) != 2:
        return 0
    left, right = by_id[left_id], by_id[right_id]
    score = float(left.vector @ right.vector)
    if score < threshold:
        return 0
    with transaction.atomic():
        return int(_duplicate_record(left, right, score, threshold) is not None)


def _scan_approximate(engine: FaceEngine, threshold: float) -> int:
    from facecheck.dedup import build_ann_index

    index, total = build_ann_index(model_id=engine.model_id, dim=engine.embedding_dim)
    seen: set[tuple[int, int]] = set()
    created = 0
    batch: list[tuple[int, int, npt.NDArray[np.float32]]] = []

    def flush() -> int:
        found = 0
        results = index.search_many(
            np.stack([v for _i, _o, v in batch]), k=10, exclude_owners=[o for _i, o, _v in batch], threshold=threshold
        )
        for (template_id, _owner, _vector), matches in zip(batch, results, strict=True):
            for match in matches:
                pair = (min(template_id, match.template_id), max(template_id, match.template_id))
                if pair not in seen:
                    seen.add(pair)
                    found += _record_pair(pair[0], pair[1], threshold)
        batch.clear()
        return found

    queries = selectors.active_templates_for_index(model_id=engine.model_id)
    window = int(getattr(settings, "FACECHECK_DUPLICATE_SCAN_WINDOW_HOURS", 0))
    if window:
        queries = queries.filter(created_at__gte=timezone.now() - datetime.timedelta(hours=window))
    for row in queries.iterator(chunk_size=5000):
        batch.append((row.pk, row.pensioner_id, np.frombuffer(bytes(row.embedding), dtype=np.float32)))
        if len(batch) >= 10_000:
            created += flush()
    if batch:
        created += flush()
    logger.info(
        "duplicate face scan (approximate index of %d templates, window %d h): %d new findings", total, window, created
    )
    return created
