"""1:N search over an in-memory matrix of L2-normalised float32 templates.

Exact up to ~1M templates: at one million 128-d templates the matrix is 512 MB and a query is one BLAS
matrix-vector product (tens of milliseconds on 2 cores, see docs/benchmarks.md), with no recall loss to
explain to an auditor. Beyond that, ``AnnIndex`` (faiss) gives candidates that callers confirm exactly. Each row
carries the template id and its owner (pensioner) id, so a person's own templates are never
reported as a duplicate of themselves.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

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
    """Approximate 1:N search for provincial scale (faiss), same interface as ``EmbeddingIndex``.

    Used above ``FACECHECK_ANN_MIN_TEMPLATES``: at 10 million 128-d templates the exact matrix would be
    5 GB per process and a query ~0.5 s. Layout (measured against alternatives in docs/benchmarks.md):

    - ``nlist`` cells (0: about one per 600 templates of the expected size, a power of two), their
      centres found by a few spherical k-means rounds on a sample, and searched through a small HNSW
      graph (faiss ``IVF…_HNSW32``): a flat scan over 65,536 centres would cost more than the cells;
    - each template is stored as 8-bit codes (128 bytes at 128-d) in its ``spill`` nearest cells (2 by
      default): a near-duplicate that falls just across a cell border is still in a visited cell, which
      buys more recall than the same memory spent on more probes;
    - a query visits its ``nprobe`` nearest cells (0: a sixteenth of them; at 10 million templates that
      found the exact top-1 of 99.25 % of the queries with a true duplicate, docs/benchmarks.md).

    Scores are approximate, so results are *candidates*: ``search`` returns everything within
    ``candidate_margin`` below the threshold, and the caller confirms each candidate on its stored
    float32 embedding (the exact path). Owners live in a sorted id array (plus a small dict of recent
    additions), not a Python dict per row.
    """

    def __init__(
        self,
        dim: int,
        *,
        nlist: int = 0,
        nprobe: int = 0,
        candidate_margin: float = 0.05,
        spill: int = 2,
        train_rounds: int = 4,
        expected: int = 0,
        hnsw_m: int = 32,
    ) -> None:
        self.dim = dim
        self.nprobe = int(nprobe)
        self.candidate_margin = float(candidate_margin)
        self.spill = max(1, int(spill))
        self.train_rounds = int(train_rounds)
        self.hnsw_m = int(hnsw_m)
        self.expected = int(expected)
        self.nlist = int(nlist) or auto_nlist(self.expected)
        self._index: Any = None
        self._quantizer: Any = None
        self._ids: np.ndarray = np.zeros(0, dtype=np.int64)  # sorted
        self._owners: np.ndarray = np.zeros(0, dtype=np.int64)
        self._recent: dict[int, int] = {}
        self._removed: set[int] = set()
        self._lock = threading.RLock()

    @property
    def is_trained(self) -> bool:
        return self._index is not None

    @property
    def train_size(self) -> int:
        """How many templates ``train`` wants: ~30 per cell (k-means needs a sample per centre)."""
        return 30 * self.nlist

    def train(self, sample: np.ndarray) -> None:
        """Cell centres from a sample of the templates (fewer cells when the sample is small)."""
        import faiss

        sample = _normalised(sample, self.dim)
        with self._lock:
            nlist = max(1, min(self.nlist, len(sample) // 30 or 1))
            rng = np.random.default_rng(0)
            centres = sample[rng.choice(len(sample), nlist, replace=False)].copy()
            for _round in range(self.train_rounds):
                assigner = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
                assigner.hnsw.efSearch = 32
                assigner.add(centres)
                _, cell = assigner.search(sample, 1)
                cell = cell.ravel()
                order = np.argsort(cell, kind="stable")
                counts = np.bincount(cell, minlength=nlist)
                sums = np.zeros_like(centres)
                filled = np.flatnonzero(counts)
                starts = np.concatenate([[0], np.cumsum(counts[filled])[:-1]])
                sums[filled] = np.add.reduceat(sample[order], starts, axis=0)
                empty = counts == 0  # an empty cell takes a fresh random template as its centre
                sums[empty] = sample[rng.choice(len(sample), int(empty.sum()), replace=False)]
                centres = _normalised(sums, self.dim)  # spherical k-means: the centre's direction
            quantizer = faiss.IndexHNSWFlat(self.dim, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            quantizer.add(centres)
            index = faiss.IndexIVFScalarQuantizer(
                quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
            )
            index.train(sample)  # the centres are set: this trains the 8-bit ranges only
            self.nlist = nlist
            self._index, self._quantizer = index, quantizer  # the IVF index refers to the quantizer

    def __len__(self) -> int:
        """Stored templates (each is in ``spill`` cells)."""
        return 0 if self._index is None else int(self._index.ntotal) // self.spill

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
        import faiss

        ids = np.ascontiguousarray(np.asarray(list(template_ids), dtype=np.int64))
        owners = np.asarray(list(owner_ids), dtype=np.int64)
        vectors = _normalised(vectors, self.dim)
        if not (len(ids) == len(owners) == len(vectors)):
            raise ValueError("ids, owners and vectors must have the same length")
        if len(ids) == 0:
            return
        with self._lock:
            if self._index is None:
                self.train(vectors)
            self.remove(int(t) for t in ids if int(t) in self)
            self._quantizer.hnsw.efSearch = max(32, 8 * self.spill)
            _, cells = self._quantizer.search(vectors, self.spill)
            for column in range(self.spill):
                assigned = np.ascontiguousarray(cells[:, column])
                if (assigned < 0).any():  # fewer cells than spill (tiny index): reuse the nearest
                    assigned = np.where(assigned < 0, cells[:, 0], assigned)
                self._index.add_core(len(ids), faiss.swig_ptr(vectors), faiss.swig_ptr(ids), faiss.swig_ptr(assigned))
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
            if self._index is not None:
                self._index.remove_ids(np.asarray(ids, dtype=np.int64))  # every cell the template is in
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
            if self._index is None or self._index.ntotal == 0:
                return [[] for _ in range(len(queries))]
            nprobe = min(self.nprobe or max(1, self.nlist // 16), self.nlist)
            self._index.nprobe = nprobe
            self._quantizer.hnsw.efSearch = max(nprobe, 16)
            # room for the owner's own templates and for a template met in two visited cells
            scores, ids = self._index.search(queries, self.spill * (k + 8))
            out: list[list[Match]] = []
            for row_scores, row_ids, owner in zip(scores, ids, excluded, strict=True):
                matches: list[Match] = []
                seen: set[int] = set()
                for score, template_id in zip(row_scores.tolist(), row_ids.tolist(), strict=True):
                    if template_id < 0 or template_id in seen:
                        continue
                    seen.add(template_id)
                    if threshold is not None and score < threshold - self.candidate_margin:
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


def auto_nlist(expected: int) -> int:
    """About one cell per 600 templates, a power of two between 64 and 65,536 (4,096 if unknown).

    A query's cost is mostly the codes it scans (``nprobe / nlist`` of them); large cells keep the HNSW
    cell search (``efSearch`` >= ``nprobe``) cheap for the same share (docs/benchmarks.md, 1:N).
    """
    if expected <= 0:
        return 4_096
    cells = max(64, min(65_536, expected // 600))
    return 1 << round(math.log2(cells))


def _normalised(vectors: np.ndarray, dim: int) -> np.ndarray:
    vectors = np.ascontiguousarray(np.asarray(vectors, dtype=np.float32).reshape(-1, dim))
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
