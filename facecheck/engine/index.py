"""1:N search over an in-memory matrix of L2-normalised float32 templates.

Why no ANN library (faiss, hnswlib): at one million 128-d templates the exact matrix is 512 MB and a
query is one BLAS matrix-vector product (tens of milliseconds on 2 cores, see docs/benchmarks.md);
exact search has no recall loss to explain to an auditor, and no extra native dependency. Each row
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
