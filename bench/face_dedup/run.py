"""1:N duplicate search: top-1 query time over 1,000,000 templates and a full scan of 100,000.

    .venv/bin/python bench/face_dedup/run.py [--n 1000000] [--scan 100000] [--queries 200]

Templates are random unit vectors of the configured recogniser's embedding size (read from the
model, 128 for the development pack). Random vectors are the worst case for the scan's result
handling only in that almost nothing crosses the threshold; the matrix products, which dominate,
cost the same whatever the vectors are. Prints figures for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")


def _embedding_dim() -> tuple[int, str]:
    import django

    django.setup()
    from facecheck.engine.config import EngineConfig
    from facecheck.engine.loader import ModelPack

    pack = ModelPack(EngineConfig.from_settings())
    return pack.embedding_dim, pack.model_id


def _unit(rng: np.random.Generator, n: int, dim: int) -> np.ndarray:
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 100_000):
        block = rng.standard_normal((min(100_000, n - start), dim), dtype=np.float32)
        out[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    from facecheck.engine.index import EmbeddingIndex

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--scan", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--threshold", type=float, default=None, help="default: the model's duplicate threshold")
    args = parser.parse_args()

    dim, model_id = _embedding_dim()
    from django.conf import settings

    threshold = args.threshold or settings.FACECHECK_THRESHOLDS.get(model_id, {}).get("duplicate", 0.65)
    rng = np.random.default_rng(20261123)
    print(f"model {model_id}: {dim}-d embeddings; numpy {np.__version__}; cores {os.cpu_count()}")

    vectors = _unit(rng, args.n, dim)
    t0 = time.perf_counter()
    index = EmbeddingIndex(dim, capacity=args.n)
    for start in range(0, args.n, 100_000):
        chunk = vectors[start : start + 100_000]
        ids = np.arange(start, start + len(chunk))
        index.add(ids, ids, chunk)
    build = time.perf_counter() - t0
    del vectors
    print(f"index of {args.n:,} templates built in {build:.1f} s; matrix {index.matrix.nbytes / 2**20:.0f} MiB")

    queries = _unit(rng, args.queries, dim)
    for q in queries[:5]:  # warm caches
        index.search(q, k=1)
    times = []
    for q in queries:
        t = time.perf_counter()
        index.search(q, k=1)
        times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000
    print(
        f"top-1 query over {args.n:,}: p50 {np.percentile(ms, 50):.1f} ms, p95 {np.percentile(ms, 95):.1f} ms, "
        f"max {ms.max():.1f} ms ({args.queries} queries)"
    )
    del index

    scan_vectors = _unit(rng, args.scan, dim)
    # Plant 20 near-duplicate pairs across owners so the scan has something real to find.
    planted = rng.choice(args.scan, size=40, replace=False)
    for a, b in zip(planted[:20], planted[20:], strict=True):
        noisy = scan_vectors[a] + 0.05 * rng.standard_normal(dim).astype(np.float32) / np.sqrt(dim)
        scan_vectors[b] = noisy / np.linalg.norm(noisy)
    scan_index = EmbeddingIndex(dim, capacity=args.scan)
    ids = np.arange(args.scan)
    scan_index.add(ids, ids, scan_vectors)
    t = time.perf_counter()
    found = list(scan_index.scan_duplicates(threshold))
    scan = time.perf_counter() - t
    expected = {tuple(sorted(p)) for p in zip(planted[:20].tolist(), planted[20:].tolist(), strict=True)}
    got = {tuple(sorted((a.template_id, b.template_id))) for a, b in found}
    print(
        f"full duplicate scan of {args.scan:,} templates (threshold {threshold}): {scan:.1f} s, "
        f"{len(found)} pairs reported, {len(expected & got)}/20 planted pairs found"
    )
    print(f"peak RSS {_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
