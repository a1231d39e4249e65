"""1:N search over the in-memory template matrix."""

from __future__ import annotations

import numpy as np

from facecheck.engine.index import EmbeddingIndex


def _unit(rng: np.random.Generator, n: int, dim: int = 128) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_search_finds_the_nearest_template_of_another_owner():
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 500)
    index = EmbeddingIndex(128, capacity=16)  # forces the matrix to grow
    index.add(range(500), range(500), vectors)
    probe = vectors[123] + 0.05 * _unit(rng, 1)[0]
    best = index.search(probe, k=3)
    assert best[0].template_id == 123
    assert best[0].score > 0.95 > best[1].score


def test_search_skips_the_probes_own_owner():
    rng = np.random.default_rng(2)
    vectors = _unit(rng, 10)
    index = EmbeddingIndex(128)
    index.add(range(10), [7] * 10, vectors)
    assert index.search(vectors[0], exclude_owner=7) == []


def test_threshold_filters_weak_matches():
    rng = np.random.default_rng(3)
    vectors = _unit(rng, 100)
    index = EmbeddingIndex(128)
    index.add(range(100), range(100), vectors)
    assert index.search(_unit(rng, 1)[0], k=5, threshold=0.9) == []


def test_removed_templates_are_no_longer_found_and_others_survive():
    rng = np.random.default_rng(4)
    vectors = _unit(rng, 50)
    index = EmbeddingIndex(128)
    index.add(range(50), range(50), vectors)
    index.remove([10, 49])
    assert len(index) == 48
    assert index.search(vectors[10], k=1)[0].template_id != 10
    assert index.search(vectors[20], k=1)[0].template_id == 20  # row moved by the swap-delete
    assert index.search(vectors[48], k=1)[0].template_id == 48


def test_re_adding_a_template_replaces_it():
    rng = np.random.default_rng(5)
    a, b = _unit(rng, 2)
    index = EmbeddingIndex(128)
    index.add([1], [1], a[None])
    index.add([1], [1], b[None])
    assert len(index) == 1
    assert index.search(b, k=1)[0].score > 0.999


def test_scan_reports_each_cross_owner_duplicate_once():
    rng = np.random.default_rng(6)
    vectors = _unit(rng, 300)
    # Template 250 is a near copy of 17 under another owner; 251 a near copy of 18 under the same owner.
    vectors[250] = vectors[17] + 0.02 * _unit(rng, 1)[0]
    vectors[251] = vectors[18] + 0.02 * _unit(rng, 1)[0]
    owners = list(range(300))
    owners[251] = owners[18]
    index = EmbeddingIndex(128)
    index.add(range(300), owners, vectors)
    pairs = list(index.scan_duplicates(0.9, row_block=64, col_block=100))
    assert [(a.template_id, b.template_id) for a, b in pairs] == [(17, 250)]
    assert pairs[0][0].score > 0.95


# -- approximate index (faiss) for provincial scale ---------------------------------------------------
def _ann(n: int, seed: int):  # type: ignore[no-untyped-def]
    from facecheck.engine.index import AnnIndex

    rng = np.random.default_rng(seed)
    vectors = _unit(rng, n)
    index = AnnIndex(128, nlist=16, nprobe=16)
    index.add(range(1, n + 1), range(1, n + 1), vectors)
    return index, vectors, rng


def test_ann_index_finds_a_near_duplicate_of_another_owner():
    index, vectors, rng = _ann(2000, 3)
    probe = vectors[99] + 0.05 * _unit(rng, 1)[0]
    best = index.search(probe, k=3, threshold=0.6)
    assert [m.template_id for m in best] == [100]  # ids start at 1
    assert best[0].score > 0.9


def test_ann_index_skips_the_owner_and_removed_templates():
    index, vectors, _rng = _ann(2000, 4)
    assert index.search(vectors[9], k=1, exclude_owner=10, threshold=0.6) == []
    index.remove([10])
    assert 10 not in index and index.search(vectors[9], k=1, threshold=0.6) == []


def test_ann_index_adds_one_template_after_the_bulk_load():
    index, _vectors, rng = _ann(2000, 5)
    extra = _unit(rng, 1)
    index.add([5000], [77], extra)
    assert index.search(extra[0], k=1, threshold=0.6)[0].owner_id == 77
