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
      graph: a flat scan over 16,384 centres would cost more than the cells;
    - each template is stored as a 4-bit product-quantizer code (``pq_m`` sub-quantizers: 32 bytes at
      64, faiss ``IVF…,PQ64x4fs``: "fast scan" through SIMD lookup tables, ~4x cheaper per scanned code
      than 8-bit codes) in its ``spill`` nearest cells (2 by default): a near-duplicate that falls just
      across a cell border is still in a visited cell;
    - a query visits its ``nprobe`` nearest cells (0: ``nlist / 16``) and its ``k + rerank`` best fast-scan
      candidates are re-scored on each template's 8-bit scalar-quantizer code (128 bytes
      at 128-d, kept once per template): the 4-bit scores are too coarse to choose the top-1 (with 32
      sub-quantizers the true top-1 is often not even among the 200 best), the 8-bit ones are within
      ~0.01 of the float32 score.

    Scores are approximate, so results are *candidates*: ``search`` returns everything within
    ``candidate_margin`` below the threshold, and the caller confirms each candidate on its stored
    float32 embedding (the exact path). The faiss ids are row numbers of a row table (template id,
    owner, 8-bit code); template ids map to rows through a sorted array (plus a small dict of recent
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
        pq_m: int = 64,
        rerank: int = 100,
    ) -> None:
        if dim % pq_m:
            raise ValueError("pq_m must divide the dimension")
        self.dim = dim
        self.nprobe = int(nprobe)
        self.candidate_margin = float(candidate_margin)
        self.spill = max(1, int(spill))
        self.train_rounds = int(train_rounds)
        self.hnsw_m = int(hnsw_m)
        self.pq_m = int(pq_m)
        self.rerank = max(1, int(rerank))
        self.expected = int(expected)
        self.nlist = int(nlist) or auto_nlist(self.expected)
        self._index: Any = None
        self._quantizer: Any = None
        self._sq: Any = None  # the 8-bit re-rank codes' quantizer
        # row table: faiss ids are rows; a removed row keeps its place with owner -1
        self._codes = np.zeros((0, dim), dtype=np.uint8)
        self._row_ids = np.zeros(0, dtype=np.int64)
        self._row_owners = np.zeros(0, dtype=np.int64)
        self._rows = 0
        self._alive = 0
        # template id -> row: sorted ids with their rows, plus recent additions
        self._ids = np.zeros(0, dtype=np.int64)
        self._id_rows = np.zeros(0, dtype=np.int64)
        self._recent: dict[int, int] = {}
        self._lock = threading.RLock()

    @property
    def is_trained(self) -> bool:
        return self._index is not None

    @property
    def train_size(self) -> int:
        """How many templates ``train`` wants: ~30 per cell (k-means needs a sample per centre)."""
        return 30 * self.nlist

    def train(self, sample: np.ndarray) -> None:
        """Cell centres and codebooks from a sample of the templates (fewer cells when the sample is small)."""
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
            index = faiss.IndexIVFPQFastScan(quantizer, self.dim, nlist, self.pq_m, 4, faiss.METRIC_INNER_PRODUCT)
            index.by_residual = True  # codes of the offset from the cell's centre
            # the codebooks (16 centroids per sub-quantizer) and 8-bit ranges want a few hundred
            # templates: a tiny first batch (tests, a new deployment) is padded with random directions
            codebook_sample = sample
            if len(sample) < 1_000:
                padding = _normalised(rng.standard_normal((1_000, self.dim)), self.dim)
                codebook_sample = np.concatenate([sample, padding])
            index.train(codebook_sample)  # the centres are set: this trains the 4-bit codebooks only
            sq = faiss.ScalarQuantizer(self.dim, faiss.ScalarQuantizer.QT_8bit)
            sq.train(codebook_sample)
            self.nlist = nlist
            self._index, self._quantizer, self._sq = index, quantizer, sq  # the IVF index refers to the quantizer

    def __len__(self) -> int:
        return self._alive

    def __contains__(self, template_id: int) -> bool:
        return self._row(int(template_id)) is not None

    def _row(self, template_id: int) -> int | None:
        """The live row of a template, if any."""
        row = self._recent.get(template_id)
        if row is None:
            pos = int(np.searchsorted(self._ids, template_id))
            if pos < len(self._ids) and self._ids[pos] == template_id:
                row = int(self._id_rows[pos])
        if row is None or self._row_owners[row] < 0 or self._row_ids[row] != template_id:
            return None
        return row

    def _merge_recent(self) -> None:
        if not self._recent:
            return
        ids = np.concatenate([self._ids, np.fromiter(self._recent.keys(), dtype=np.int64)])
        rows = np.concatenate([self._id_rows, np.fromiter(self._recent.values(), dtype=np.int64)])
        live = self._row_owners[rows] >= 0  # drop the entries of removed (or replaced) templates
        ids, rows = ids[live], rows[live]
        order = np.argsort(ids, kind="stable")
        self._ids, self._id_rows = ids[order], rows[order]
        self._recent = {}

    def _grow(self, needed: int) -> None:
        capacity = len(self._row_ids)
        if needed <= capacity:
            return
        capacity = max(needed, 2 * capacity, min(self.expected, 50_000_000))
        codes = np.zeros((capacity, self.dim), dtype=np.uint8)
        codes[: self._rows] = self._codes[: self._rows]
        row_ids = np.zeros(capacity, dtype=np.int64)
        row_ids[: self._rows] = self._row_ids[: self._rows]
        row_owners = np.full(capacity, -1, dtype=np.int64)
        row_owners[: self._rows] = self._row_owners[: self._rows]
        self._codes, self._row_ids, self._row_owners = codes, row_ids, row_owners

    def add(self, template_ids: Iterable[int], owner_ids: Iterable[int], vectors: np.ndarray) -> None:
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
            start = self._rows
            self._grow(start + len(ids))
            rows = np.arange(start, start + len(ids), dtype=np.int64)
            self._codes[rows] = self._sq.compute_codes(vectors)
            self._row_ids[rows], self._row_owners[rows] = ids, owners
            self._rows += len(ids)
            self._alive += len(ids)
            for column in range(self.spill):
                assigned = np.ascontiguousarray(cells[:, column])
                if (assigned < 0).any():  # fewer cells than spill (tiny index): reuse the nearest
                    assigned = np.where(assigned < 0, cells[:, 0], assigned)
                self._add_codes(assigned, vectors, rows)
            if len(ids) > 10_000:
                self._merge_recent()
                merged, merged_rows = np.concatenate([self._ids, ids]), np.concatenate([self._id_rows, rows])
                live = self._row_owners[merged_rows] >= 0  # a replaced template's old entry goes
                merged, merged_rows = merged[live], merged_rows[live]
                order = np.argsort(merged, kind="stable")
                self._ids, self._id_rows = merged[order], merged_rows[order]
            else:
                self._recent.update(zip(ids.tolist(), rows.tolist(), strict=True))
                if len(self._recent) > 100_000:
                    self._merge_recent()

    def _add_codes(self, cells: np.ndarray, vectors: np.ndarray, rows: np.ndarray) -> None:
        pack_fast_scan_codes(self._index, cells, vectors, rows)

    def remove(self, template_ids: Iterable[int]) -> None:
        with self._lock:
            rows = [row for row in (self._row(int(t)) for t in template_ids) if row is not None]
            if not rows:
                return
            selected = np.asarray(rows, dtype=np.int64)
            self._index.remove_ids(selected)  # every cell the template is in
            self._row_owners[selected] = -1
            self._alive -= len(rows)

    def search_many(
        self, queries: np.ndarray, *, k: int = 5, exclude_owners: Iterable[int] | None = None, threshold: float | None
    ) -> list[list[Match]]:
        """Candidates for each query, best first (approximate scores: confirm them exactly)."""
        queries = _normalised(queries, self.dim)
        excluded = list(exclude_owners) if exclude_owners is not None else [None] * len(queries)
        with self._lock:
            if self._index is None or self._alive == 0:
                return [[] for _ in range(len(queries))]
            nprobe = min(self.nprobe or max(1, self.nlist // 16), self.nlist)
            self._index.nprobe = nprobe
            self._quantizer.hnsw.efSearch = max(nprobe, 16)
            # the ``k`` wanted and ``rerank`` more fast-scan candidates, room for the owner's own templates,
            # each template possibly met in ``spill`` visited cells
            _, found = self._index.search(queries, self.spill * (k + self.rerank + 8))
            out: list[list[Match]] = []
            for query, row_found, owner in zip(queries, found, excluded, strict=True):
                rows = np.unique(row_found[row_found >= 0])
                owners = self._row_owners[rows]
                keep = owners >= 0
                if owner is not None:
                    keep &= owners != owner
                rows, owners = rows[keep], owners[keep]
                scores = self._sq.decode(self._codes[rows]) @ query if len(rows) else np.zeros(0, np.float32)
                best = np.argsort(-scores, kind="stable")[:k]
                floor = -np.inf if threshold is None else threshold - self.candidate_margin
                out.append(
                    [
                        Match(int(self._row_ids[rows[i]]), int(owners[i]), float(scores[i]))
                        for i in best.tolist()
                        if scores[i] >= floor
                    ]
                )
        return out

    def search(
        self, query: np.ndarray, *, k: int = 5, exclude_owner: int | None = None, threshold: float | None = None
    ) -> list[Match]:
        return self.search_many(
            query, k=k, exclude_owners=[exclude_owner] if exclude_owner is not None else None, threshold=threshold
        )[0]


def pack_fast_scan_codes(index: Any, cells: np.ndarray, vectors: np.ndarray, ids: np.ndarray) -> None:
    """Each vector's 4-bit code into the given cell of a faiss fast-scan IVF index, under ``ids``.

    faiss's own fast-scan ``add`` assigns the cell itself (one per vector), and ``add_core`` with
    precomputed cells does not handle packed lists in faiss 1.15.1, so the codes are packed here one
    by one into the cell's SIMD blocks (~6 us each, checked against faiss's ``add`` in
    tests/facecheck/test_index.py).
    """
    import faiss

    lists = faiss.downcast_InvertedLists(index.invlists)
    packer = index.get_CodePacker()
    codes = np.empty((len(vectors), index.code_size), dtype=np.uint8)
    index.encode_vectors(len(vectors), faiss.swig_ptr(vectors), faiss.swig_ptr(cells), faiss.swig_ptr(codes), False)
    order = np.argsort(cells, kind="stable")
    cell_nos, starts, counts = np.unique(cells[order], return_index=True, return_counts=True)
    for cell, first, count in zip(cell_nos.tolist(), starts.tolist(), counts.tolist(), strict=True):
        members = order[first : first + count]
        size = lists.list_size(cell)
        lists.resize(cell, size + count)
        faiss.rev_swig_ptr(lists.get_ids(cell), size + count)[size:] = ids[members]
        blocks = lists.get_codes(cell)
        for offset, member in enumerate(members.tolist(), start=size):
            packer.pack_1_c(faiss.swig_ptr(codes[member]), offset, blocks)
    index.ntotal += len(vectors)


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
