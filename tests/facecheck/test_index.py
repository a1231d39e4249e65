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


def test_ann_index_returns_a_template_stored_in_two_cells_once():
    index, vectors, _rng = _ann(2000, 6)
    assert len(index) == 2000 and index._index.ntotal == 4000  # each template in its 2 nearest cells
    index.nprobe = 16
    best = index.search(vectors[41], k=5)
    ids = [m.template_id for m in best]
    assert ids[0] == 42 and len(ids) == len(set(ids)) == 5


def test_ann_index_remove_drops_every_copy():
    index, vectors, _rng = _ann(2000, 7)
    index.remove([42])
    assert index._index.ntotal == 3998
    assert 42 not in [m.template_id for m in index.search(vectors[41], k=5)]


def _border_case(spill: int):  # type: ignore[no-untyped-def]
    """A template just on one side of a cell border, its near-duplicate query just on the other side."""
    from facecheck.engine.index import AnnIndex

    rng = np.random.default_rng(8)
    index = AnnIndex(128, nlist=32, nprobe=1, spill=spill)
    index.train(_unit(rng, 3000))
    centres = index._quantizer.reconstruct_n(0, index.nlist)
    c0 = centres[0]
    c1 = centres[int(np.argsort(-(centres @ c0))[1])]  # the cell next to cell 0
    template = (c0 + 0.9 * c1) / np.linalg.norm(c0 + 0.9 * c1)
    query = (0.9 * c0 + c1) / np.linalg.norm(0.9 * c0 + c1)
    near = np.argsort(-(centres @ np.stack([template, query]).T), axis=0)[:2].T
    assert (centres[near[0, 0]] == c0).all() and (centres[near[0, 1]] == c1).all()  # template: cells 0, then 1
    assert (centres[near[1, 0]] == c1).all()  # the query visits cell 1 only (nprobe 1)
    index.add([1], [1], template[None, :])
    return index.search(query, k=1, threshold=0.6)


def test_ann_index_spill_finds_a_duplicate_across_a_cell_border():
    assert [m.template_id for m in _border_case(spill=2)] == [1]


def test_ann_index_without_spill_misses_it_at_one_probe():
    # the reason for the spill: the same query with each template in one cell finds nothing
    assert _border_case(spill=1) == []


def test_ann_index_cells_scale_with_the_expected_gallery():
    from facecheck.engine.index import AnnIndex, auto_nlist

    assert auto_nlist(10_000_000) == 16_384 and auto_nlist(1_000_000) == 2_048 and auto_nlist(0) == 4_096
    assert AnnIndex(128, expected=2_000_000).nlist == 4_096
    assert AnnIndex(128, nlist=100, expected=2_000_000).nlist == 100  # an explicit setting wins


def test_ann_index_uses_fewer_cells_for_a_small_training_sample():
    from facecheck.engine.index import AnnIndex

    index = AnnIndex(128, nlist=1024)
    index.train(_unit(np.random.default_rng(9), 3000))
    assert index.nlist == 100  # ~30 templates per cell


def test_served_ann_index_takes_its_settings(settings):  # type: ignore[no-untyped-def]
    from facecheck.dedup import new_ann_index

    settings.FACECHECK_ANN = {"nlist": 0, "nprobe": 7, "spill": 1, "pq_m": 64, "rerank": 3}
    index = new_ann_index(128, expected=10_000_000)
    assert (index.nlist, index.nprobe, index.spill, index.pq_m, index.rerank) == (16_384, 7, 1, 64, 3)


def test_ann_index_visits_a_sixteenth_of_the_cells_by_default():
    from facecheck.engine.index import AnnIndex

    index = AnnIndex(128, nlist=64)
    index.add(range(1, 3001), range(1, 3001), _unit(np.random.default_rng(10), 3000))
    index.search(_unit(np.random.default_rng(11), 1)[0], k=1)
    assert index.nlist == 64 and index._index.nprobe == 4


def test_ann_index_packs_its_codes_as_faiss_own_add_does():
    # the spill needs codes added to chosen cells, packed by AnnIndex itself: a faiss fast-scan index
    # fed by its own add (nearest cell only) must give the same candidates and scores
    import faiss

    from facecheck.engine.index import AnnIndex

    rng = np.random.default_rng(12)
    vectors = _unit(rng, 3000)
    index = AnnIndex(128, nlist=16, nprobe=4, spill=1)
    index.train(vectors)
    reference = faiss.clone_index(index._index)
    index.add(range(1, 1001), range(1, 1001), vectors[:1000])  # two batches: the second fills partly
    index.add(range(1001, 3001), range(1001, 3001), vectors[1000:])  # used SIMD blocks
    reference.add_with_ids(vectors, np.arange(3000, dtype=np.int64))  # faiss ids are AnnIndex's rows
    reference.nprobe = index._index.nprobe = 4
    queries = vectors[:50] + 0.05 * _unit(rng, 50)
    got_scores, got = index._index.search(_unit_rows(queries), 20)
    want_scores, want = reference.search(_unit_rows(queries), 20)
    assert (got == want).all() and np.allclose(got_scores, want_scores)


def test_ann_index_finds_the_exact_top_1_of_near_duplicates():
    # every cell visited: what is left is the 4-bit scan and the 8-bit re-rank of its candidates
    from facecheck.engine.index import AnnIndex

    rng = np.random.default_rng(13)
    vectors = _unit(rng, 20_000)
    index = AnnIndex(128, nlist=64, nprobe=64)
    index.add(range(20_000), range(20_000), vectors)
    queries = _unit_rows(vectors[:300] + 0.9 * _unit(rng, 300))  # cosine ~0.75 to their source
    exact = (queries @ vectors.T).argmax(axis=1)
    found = [index.search(q, k=1)[0].template_id for q in queries]
    assert (np.array(found) == exact).mean() >= 0.99


def test_ann_index_rescores_candidates_close_to_the_exact_cosine():
    index, vectors, rng = _ann(2000, 14)
    query = _unit_rows(vectors[7:8] + 0.8 * _unit(rng, 1))[0]
    best = index.search(query, k=3)
    exact = {m.template_id: float(vectors[m.template_id - 1] @ query) for m in best}
    assert all(abs(m.score - exact[m.template_id]) < 0.01 for m in best)


def test_ann_index_replaces_a_template_added_again():
    index, vectors, rng = _ann(2000, 15)
    new = _unit(rng, 1)
    index.add([42], [42], new)
    assert len(index) == 2000 and 42 in index
    assert index.search(new[0], k=1)[0].template_id == 42
    assert 42 not in [m.template_id for m in index.search(vectors[41], k=3, threshold=0.9)]


def test_ann_index_trains_on_a_first_template_alone():
    from facecheck.engine.index import AnnIndex

    vector = _unit(np.random.default_rng(16), 1)
    index = AnnIndex(128)
    index.add([1], [1], vector)
    assert index.search(vector[0], k=1)[0].score > 0.98


def _unit_rows(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
