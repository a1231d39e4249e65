"""The process-wide 1:N index of active templates, kept in step with the database incrementally.

Loading a million templates takes seconds, so the index is built once per process and model and
then synchronised: rows with a higher id are added, rows retired since the last sync removed.
"""

from __future__ import annotations

import datetime
import threading

import numpy as np
from django.conf import settings
from django.utils import timezone

from facecheck.engine.index import AnnIndex, EmbeddingIndex
from facecheck.models import FaceTemplate
from facecheck.selectors import active_templates_for_index

_lock = threading.Lock()
_state: dict[str, tuple[EmbeddingIndex | AnnIndex, int, datetime.datetime]] = {}


def ann_wanted(templates: int) -> bool:
    """The approximate index from ``FACECHECK_ANN_MIN_TEMPLATES`` templates on (0 switches it off)."""
    minimum = int(getattr(settings, "FACECHECK_ANN_MIN_TEMPLATES", 1_000_000))
    return bool(minimum) and templates >= minimum


def new_ann_index(dim: int, *, expected: int) -> AnnIndex:
    """An empty approximate index sized for ``expected`` templates, configured by ``FACECHECK_ANN``."""
    return AnnIndex(dim, expected=expected, **getattr(settings, "FACECHECK_ANN", {}))


def _new_index(model_id: str, dim: int) -> EmbeddingIndex | AnnIndex:
    count = active_templates_for_index(model_id=model_id).count()
    if ann_wanted(count):
        return new_ann_index(dim, expected=count)
    return EmbeddingIndex(dim)


def build_ann_index(*, model_id: str, dim: int) -> tuple[AnnIndex, int]:
    """A fresh approximate index of every active template (the nightly scan), its cells trained on the first
    ``train_size`` (~30 per cell)."""
    index = new_ann_index(dim, expected=active_templates_for_index(model_id=model_id).count())
    total = 0
    ids: list[int] = []
    owners: list[int] = []
    vectors: list[np.ndarray] = []
    for row in active_templates_for_index(model_id=model_id).iterator(chunk_size=5000):
        ids.append(row.pk)
        owners.append(row.pensioner_id)
        vectors.append(np.frombuffer(bytes(row.embedding), dtype=np.float32))
        if len(ids) >= (index.train_size if not index.is_trained else 200_000):
            index.add(ids, owners, np.stack(vectors))
            total += len(ids)
            ids, owners, vectors = [], [], []
    if ids:
        index.add(ids, owners, np.stack(vectors))
        total += len(ids)
    return index, total


def template_index(*, model_id: str, dim: int) -> EmbeddingIndex | AnnIndex:
    """The synchronised index for ``model_id`` (reference and ageing templates of every pensioner).

    Exact below ``FACECHECK_ANN_MIN_TEMPLATES`` active templates, approximate (faiss) from there on; the
    callers confirm every candidate on the stored embeddings either way.
    """
    with _lock:
        if model_id in _state:
            index, last_id, synced_at = _state[model_id]
        else:
            index, last_id, synced_at = _new_index(model_id, dim), 0, timezone.now()
        now = timezone.now()
        retired = FaceTemplate.objects.filter(model_id=model_id, retired_at__gte=synced_at).values_list("pk", flat=True)
        index.remove(retired)
        batch_ids: list[int] = []
        batch_owners: list[int] = []
        batch_vectors: list[np.ndarray] = []
        for row in active_templates_for_index(model_id=model_id, after_id=last_id).iterator(chunk_size=5000):
            batch_ids.append(row.pk)
            batch_owners.append(row.pensioner_id)
            batch_vectors.append(np.frombuffer(bytes(row.embedding), dtype=np.float32))
            if len(batch_ids) >= (index.train_size if isinstance(index, AnnIndex) and not index.is_trained else 50_000):
                index.add(batch_ids, batch_owners, np.stack(batch_vectors))
                last_id = batch_ids[-1]
                batch_ids, batch_owners, batch_vectors = [], [], []
        if batch_ids:
            index.add(batch_ids, batch_owners, np.stack(batch_vectors))
            last_id = batch_ids[-1]
        # Overlap the window by a minute: a retirement committed just before ``now`` is seen again next time.
        _state[model_id] = (index, last_id, now - datetime.timedelta(minutes=1))
        return index


def reset() -> None:
    """Forget the cached indexes (tests, or after bulk changes made outside the services)."""
    with _lock:
        _state.clear()
