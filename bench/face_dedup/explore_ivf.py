"""Exploration (docs/benchmarks.md, 1:N): faiss IVF-SQ8 / IVF-PQ32 recall of near-duplicate queries.

nice -n 5 .venv/bin/python bench/face_dedup/explore_ivf.py 1000000 4096
"""

# ruff: noqa
# mypy: ignore-errors
# (exploration scripts, kept as they were run)

import sys
import time

import faiss
import numpy as np

faiss.omp_set_num_threads(2)
n = int(sys.argv[1])
d = 128
nlist = int(sys.argv[2])
rng = np.random.default_rng(1)


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


X = unit(rng.standard_normal((n, d), dtype=np.float32))
# queries: noisy copies of stored rows at cosine ~0.55-0.8
src = rng.choice(n, 200, replace=False)
target = rng.uniform(0.55, 0.8, 200).astype(np.float32)
noise = unit(rng.standard_normal((200, d), dtype=np.float32))
noise = unit(noise - (noise * X[src]).sum(1, keepdims=True) * X[src])
Q = unit(target[:, None] * X[src] + np.sqrt(1 - target[:, None] ** 2) * noise)
t = time.time()
D, I = faiss.knn(Q, X, 1, metric=faiss.METRIC_INNER_PRODUCT) if hasattr(faiss, "knn") else (None, None)
print("exact", time.time() - t, (I[:, 0] == src).mean())
for spec in [f"IVF{nlist},SQ8", f"IVF{nlist},PQ32"]:
    idx = faiss.index_factory(d, spec, faiss.METRIC_INNER_PRODUCT)
    t = time.time()
    idx.train(X[rng.choice(n, min(n, 40 * nlist), replace=False)])
    tr = time.time() - t
    t = time.time()
    idx.add(X)
    ad = time.time() - t
    for npb in (16, 32, 64, 128):
        idx.nprobe = npb
        ts = []
        for q in Q:
            s = time.perf_counter()
            Dq, Iq = idx.search(q[None], 10)
            ts.append(time.perf_counter() - s)
        Dq, Iq = idx.search(Q, 10)
        rec = (Iq[:, 0] == I[:, 0]).mean()
        rec10 = np.mean([I[i, 0] in Iq[i] for i in range(200)])
        print(
            spec,
            "train",
            round(tr, 1),
            "add",
            round(ad, 1),
            "nprobe",
            npb,
            "top1",
            rec,
            "in10",
            rec10,
            "p50",
            round(np.percentile(ts, 50) * 1e3, 2),
            "p95",
            round(np.percentile(ts, 95) * 1e3, 2),
        )
