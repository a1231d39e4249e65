"""Exploration (docs/benchmarks.md, 1:N): faiss HNSW32-SQ8 recall of near-duplicate queries.

nice -n 5 .venv/bin/python bench/face_dedup/explore_hnsw.py 200000
"""

# ruff: noqa
# mypy: ignore-errors
# (exploration scripts, kept as they were run)

import sys
import time

import faiss
import numpy as np

faiss.omp_set_num_threads(1)
n = int(sys.argv[1])
d = 128
rng = np.random.default_rng(1)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


X = unit(rng.standard_normal((n, d), dtype=np.float32))
src = rng.choice(n, 300, replace=False)
target = rng.uniform(0.55, 0.85, 300).astype(np.float32)
noise = unit(rng.standard_normal((300, d), dtype=np.float32))
noise = unit(noise - (noise * X[src]).sum(1, keepdims=True) * X[src])
Q = unit(target[:, None] * X[src] + np.sqrt(1 - target[:, None] ** 2) * noise)
hi = target >= 0.62
for spec in ["HNSW32,SQ8", "HNSW16,SQ8"]:
    idx = faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)
    t = time.time()
    idx.train(X[:100000])
    idx.add(X)
    ad = time.time() - t
    for ef in (32, 64, 128, 256):
        idx.hnsw.efSearch = ef
        ts = []
        got = []
        for q in Q:
            s = time.perf_counter()
            D, I = idx.search(q[None], 1)
            ts.append(time.perf_counter() - s)
            got.append(I[0, 0])
        got = np.array(got)
        print(
            spec,
            "build",
            round(ad, 1),
            "ef",
            ef,
            "recall",
            (got == src).mean(),
            "recall>=0.62",
            (got == src)[hi].mean(),
            "p50",
            round(np.percentile(ts, 50) * 1e3, 2),
            "p95",
            round(np.percentile(ts, 95) * 1e3, 2),
            flush=True,
        )
