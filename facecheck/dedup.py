"""The process-wide 1:N index of active templates, kept in step with the database incrementally.

Loading a million templates takes seconds, so the index is built once per process and model and
then synchronised: rows with a higher id are added, rows retired since the last sync removed.
"""

from __future__ import annotations

import datetime
import threading

import numpy as np
from django.utils import timezone

from facecheck.engine.index import EmbeddingIndex
from facecheck.models import FaceTemplate
from facecheck.selectors import active_templates_for_index

_lock = threading.Lock()
_state: dict[str, tuple[EmbeddingIndex, int, datetime.datetime]] = {}


def template_index(*, model_id: str, dim: int) -> EmbeddingIndex:
    """The synchronised index for ``model_id`` (reference and ageing templates of every pensioner)."""
    with _lock:
        index, last_id, synced_at = _state.get(model_id, (EmbeddingIndex(dim), 0, timezone.now()))
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
            if len(batch_ids) >= 50_000:
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
