"""Exploration (docs/benchmarks.md, 1:N second round): CPU per scanned code of faiss scalar quantisers.

nice -n 5 .venv/bin/python bench/face_dedup/explore_sq_codes.py
"""

# ruff: noqa
# mypy: ignore-errors
# (exploration script, kept as it was run)

import faiss, numpy as np, time

print(faiss.get_compile_options())
faiss.omp_set_num_threads(1)
rng = np.random.default_rng(0)
for d in (128, 64):
    x = rng.standard_normal((300000, d)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for qt, name in (
        (faiss.ScalarQuantizer.QT_8bit, "8bit"),
        (faiss.ScalarQuantizer.QT_8bit_direct, "8bit_direct"),
        (faiss.ScalarQuantizer.QT_4bit, "4bit"),
        (faiss.ScalarQuantizer.QT_fp16, "fp16"),
    ):
        for res in (True, False):
            q = faiss.IndexFlatIP(d)
            ix = faiss.IndexIVFScalarQuantizer(q, d, 64, qt, faiss.METRIC_INNER_PRODUCT)
            ix.by_residual = res
            ix.train(x[:20000])
            ix.add(x)
            ix.nprobe = 16
            Q = x[:200] + 0.01
            ix.search(Q[:5], 10)
            t = time.thread_time()
            for i in range(200):
                ix.search(Q[i : i + 1], 10)
            dt = (time.thread_time() - t) / 200
            print(
                d,
                name,
                "residual" if res else "direct",
                f"{dt * 1e3:.2f} ms per query, {dt / (300000 * 16 / 64) * 1e9:.1f} ns/code",
                flush=True,
            )
