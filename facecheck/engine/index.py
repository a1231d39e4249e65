"""1:N search over an in-memory matrix of L2-normalised float32 templates.

Exact up to ~1M templates: at one million 128-d templates the matrix is 512 MB and a query is one BLAS
matrix-vector product (tens of milliseconds on 2 cores, see docs/benchmarks.md), with no recall loss to
explain to an auditor. Beyond that, ``AnnIndex`` (faiss) gives candidates that callers confirm exactly. Each row
carries the template id and its owner (pensioner) id, so a person's own templates are never
reported as a duplicate of themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Match:
    template_id: int
    owner_id: int
    score: float


class EmbeddingIndex:
    def __init__(self, dim: int, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((max(capacity, 1), dim), dtype=np.float32)
        self._ids = np.zeros(max(capacity, 1), dtype=np.int64)
        self._owners = np.zeros(max(capacity, 1), dtype=np.int64)
        self._rows: dict[int, int] = {}
        self._size = 0
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return self._size

    def __contains__(self, template_id: int) -> bool:
        return template_id in self._rows

    @property
    def matrix(self) -> np.ndarray:
        return self._matrix[: self._size]

    def _grow(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        new_capacity = max(needed, capacity * 2)
        matrix = np.zeros((new_capacity, self.dim), dtype=np.float32)
        matrix[: self._size] = self._matrix[: self._size]
        ids = np.zeros(new_capacity, dtype=np.int64)
        ids[: self._size] = self._ids[: self._size]
        owners = np.zeros(new_capacity, dtype=np.int64)
        owners[: self._size] = self._owners[: self._size]
        self._matrix, self._ids, self._owners = matrix, ids, owners

    def add(self, template_ids: Iterable[int], owner_ids: Iterable[int], vectors: np.ndarray) -> None:
        """Add (or replace) templates. Vectors are normalised here, so callers cannot forget it."""
        template_ids = np.asarray(list(template_ids), dtype=np.int64)
        owner_ids = np.asarray(list(owner_ids), dtype=np.int64)
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        if not (len(template_ids) == len(owner_ids) == len(vectors)):
            raise ValueError("ids, owners and vectors must have the same length")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.maximum(norms, 1e-12)
        with self._lock:
            self.remove(int(t) for t in template_ids if int(t) in self._rows)
            start = self._size
            self._grow(start + len(vectors))
            end = start + len(vectors)
            self._matrix[start:end] = vectors
            self._ids[start:end] = template_ids
            self._owners[start:end] = owner_ids
            for offset, template_id in enumerate(template_ids):
                self._rows[int(template_id)] = start + offset
            self._size = end

    def remove(self, template_ids: Iterable[int]) -> None:
        """Swap-delete: the last row moves into the hole, O(1) per template."""
        with self._lock:
            for template_id in list(template_ids):
                row = self._rows.pop(int(template_id), None)
                if row is None:
                    continue
                last = self._size - 1
                if row != last:
                    self._matrix[row] = self._matrix[last]
                    self._ids[row] = self._ids[last]
                    self._owners[row] = self._owners[last]
                    self._rows[int(self._ids[row])] = row
                self._size = last

    def search(
        self, query: np.ndarray, *, k: int = 5, exclude_owner: int | None = None, threshold: float | None = None
    ) -> list[Match]:
        """Top-``k`` templates by cosine similarity, best first."""
        query = np.asarray(query, dtype=np.float32).ravel()
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        with self._lock:
            n = self._size
            if n == 0:
                return []
            scores = self._matrix[:n] @ query
            if exclude_owner is not None:
                scores[self._owners[:n] == exclude_owner] = -np.inf
            k = min(k, n)
            top = np.argpartition(-scores, k - 1)[:k]
            top = top[np.argsort(-scores[top])]
            ids, owners = self._ids[top], self._owners[top]
        results = []
        for row, template_id, owner_id in zip(top, ids, owners, strict=True):
            score = float(scores[row])
            if score == -np.inf or (threshold is not None and score < threshold):
                continue
            results.append(Match(int(template_id), int(owner_id), score))
        return results

    def scan_duplicates(
        self, threshold: float, *, row_block: int = 2048, col_block: int = 16384
    ) -> Iterator[tuple[Match, Match]]:
        """Every pair of templates of *different* owners scoring at least ``threshold``, each pair once.

        Blocked upper-triangle matrix product: memory stays at row_block x col_block floats.
        """
        with self._lock:
            n = self._size
            matrix, ids, owners = self._matrix[:n].copy(), self._ids[:n].copy(), self._owners[:n].copy()
        for r0 in range(0, n, row_block):
            r1 = min(n, r0 + row_block)
            rows = matrix[r0:r1]
            for c0 in range(r0, n, col_block):
                c1 = min(n, c0 + col_block)
                sims = rows @ matrix[c0:c1].T
                hit_r, hit_c = np.nonzero(sims >= threshold)
                if hit_r.size == 0:
                    continue
                gr, gc = hit_r + r0, hit_c + c0
                keep = (gc > gr) & (owners[gr] != owners[gc])
                for a, b, s in zip(gr[keep], gc[keep], sims[hit_r[keep], hit_c[keep]], strict=True):
                    yield (
                        Match(int(ids[a]), int(owners[a]), float(s)),
                        Match(int(ids[b]), int(owners[b]), float(s)),
                    )


class AnnIndex:
    """Approximate 1:N search for provincial scale (faiss IVF, scalar-quantised vectors), same interface.

    Used above ``FACECHECK_ANN_MIN_TEMPLATES``: at 10 million 128-d templates the exact matrix would be
    5 GB per process and a query ~0.5 s. Vectors are stored as 8-bit codes (128 bytes per 128-d template)
    in ``nlist`` k-means cells; a query visits the ``nprobe`` nearest cells. Scores are approximate, so
    results are *candidates*: ``search`` returns everything within ``candidate_margin`` below the
    threshold, and the caller confirms each candidate on its stored float32 embedding (the exact path).
    Owners live in a sorted id array (plus a small dict of recent additions), not a Python dict per row.
    """

    def __init__(self, dim: int, *, nlist: int = 4096, nprobe: int = 64, candidate_margin: float = 0.05) -> None:
        self.dim = dim
        self.nprobe = nprobe
        self.candidate_margin = candidate_margin
        self._make(nlist)
        self._ids: np.ndarray = np.zeros(0, dtype=np.int64)  # sorted
        self._owners: np.ndarray = np.zeros(0, dtype=np.int64)
        self._recent: dict[int, int] = {}
        self._removed: set[int] = set()
        self._lock = threading.RLock()

    @property
    def is_trained(self) -> bool:
        return bool(self._index.is_trained)

    def _make(self, nlist: int) -> None:
        import faiss

        self.nlist = nlist
        quantizer = faiss.IndexFlatIP(self.dim)
        self._index = faiss.IndexIVFScalarQuantizer(
            quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        self._index.nprobe = min(self.nprobe, nlist)
        self._quantizer = quantizer  # kept alive: the IVF index refers to it

    def train(self, sample: np.ndarray) -> None:
        """k-means cells from a sample of the templates (at least ~40 per cell: fewer cells for a small one)."""
        sample = _normalised(sample, self.dim)
        with self._lock:
            if len(sample) < 39 * self.nlist:
                self._make(max(1, len(sample) // 39))
            self._index.train(sample)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def __contains__(self, template_id: int) -> bool:
        return self._owner(int(template_id)) is not None

    def _owner(self, template_id: int) -> int | None:
        if template_id in self._removed:
            return None
        if template_id in self._recent:
            return self._recent[template_id]
        pos = int(np.searchsorted(self._ids, template_id))
        if pos < len(self._ids) and self._ids[pos] == template_id:
            return int(self._owners[pos])
        return None

    def _merge_recent(self) -> None:
        if not self._recent:
            return
        ids = np.concatenate([self._ids, np.fromiter(self._recent.keys(), dtype=np.int64)])
        owners = np.concatenate([self._owners, np.fromiter(self._recent.values(), dtype=np.int64)])
        order = np.argsort(ids, kind="stable")
        self._ids, self._owners = ids[order], owners[order]
        self._recent = {}

    def add(self, template_ids: Iterable[int], owner_ids: Iterable[int], vectors: np.ndarray) -> None:
        ids = np.asarray(list(template_ids), dtype=np.int64)
        owners = np.asarray(list(owner_ids), dtype=np.int64)
        vectors = _normalised(vectors, self.dim)
        if not (len(ids) == len(owners) == len(vectors)):
            raise ValueError("ids, owners and vectors must have the same length")
        with self._lock:
            if not self._index.is_trained:
                self.train(vectors)
            self.remove(int(t) for t in ids if int(t) in self)
            self._index.add_with_ids(vectors, ids)
            self._removed.difference_update(int(t) for t in ids)
            if len(ids) > 10_000:
                self._merge_recent()
                merged = np.concatenate([self._ids, ids])
                order = np.argsort(merged, kind="stable")
                self._ids, self._owners = merged[order], np.concatenate([self._owners, owners])[order]
            else:
                self._recent.update(zip(ids.tolist(), owners.tolist(), strict=True))
                if len(self._recent) > 100_000:
                    self._merge_recent()

    def remove(self, template_ids: Iterable[int]) -> None:
        ids = [int(t) for t in template_ids]
        if not ids:
            return
        with self._lock:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # type: ignore[arg-type]
            for template_id in ids:
                self._recent.pop(template_id, None)
                self._removed.add(template_id)

    def search_many(
        self, queries: np.ndarray, *, k: int = 5, exclude_owners: Iterable[int] | None = None, threshold: float | None
    ) -> list[list[Match]]:
        """Candidates for each query, best first (approximate scores: confirm them exactly)."""
        queries = _normalised(queries, self.dim)
        excluded = list(exclude_owners) if exclude_owners is not None else [None] * len(queries)
        with self._lock:
            if self._index.ntotal == 0:
                return [[] for _ in range(len(queries))]
            scores, ids = self._index.search(queries, k + 8)  # room for the owner's own templates
            out: list[list[Match]] = []
            for row_scores, row_ids, owner in zip(scores, ids, excluded, strict=True):
                matches = []
                for score, template_id in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                    if template_id < 0 or (threshold is not None and score < threshold - self.candidate_margin):
                        continue
                    template_owner = self._owner(template_id)
                    if template_owner is None or template_owner == owner:
                        continue
                    matches.append(Match(template_id, template_owner, float(score)))
                out.append(matches[:k])
        return out

    def search(
        self, query: np.ndarray, *, k: int = 5, exclude_owner: int | None = None, threshold: float | None = None
    ) -> list[Match]:
        return self.search_many(
            query, k=k, exclude_owners=[exclude_owner] if exclude_owner is not None else None, threshold=threshold
        )[0]


def _normalised(vectors: np.ndarray, dim: int) -> np.ndarray:
    vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
