"""1:N at provincial scale: the approximate index (faiss IVF-SQ8, facecheck.engine.index.AnnIndex).

    nice -n 5 .venv/bin/python bench/face_dedup/ann.py [--n 10000000] [--nlist 8192] [--nprobe 64]

Synthetic templates: random unit vectors of the recogniser's size (128). Two query sets:
- "duplicates": noisy copies of stored templates at cosine 0.55-0.85 to their original (the range of
  East-Asian same-person pairs above the duplicate threshold) - what the duplicate search must find;
- "random": fresh random vectors (their exact top-1 is just the least-dissimilar stranger, ~0.4).
Recall = the approximate top-1 equals the exact top-1 (exact: blocked matrix products over the same
vectors, regenerated chunk by chunk from their seeds so the full float32 matrix is never held).
The nightly scan (every template queries the index) is timed on a sample and extrapolated; labelled so.
Prints figures for docs/benchmarks.md.
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
CHUNK = 500_000


def _chunk(i: int, n: int, dim: int) -> np.ndarray:
    rng = np.random.default_rng(1000 + i)
    rows = min(CHUNK, n - i * CHUNK)
    block = rng.standard_normal((rows, dim), dtype=np.float32)
    return block / np.linalg.norm(block, axis=1, keepdims=True)


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _current_rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import faiss

    from facecheck.engine.index import AnnIndex

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--nlist", type=int, default=8192)
    parser.add_argument("--nprobe", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--scan-sample", type=int, default=20_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    n, dim = args.n, args.dim
    chunks = (n + CHUNK - 1) // CHUNK
    print(f"{n:,} synthetic {dim}-d templates, nlist {args.nlist}, faiss {faiss.__version__}, cores {os.cpu_count()}")
    rng = np.random.default_rng(7)

    # queries: noisy copies of stored rows, and fresh random vectors
    src = np.sort(rng.choice(n, args.queries, replace=False))
    originals = np.stack([_chunk(int(s) // CHUNK, n, dim)[int(s) % CHUNK] for s in src])
    target = rng.uniform(0.55, 0.85, args.queries).astype(np.float32)[:, None]
    noise = rng.standard_normal((args.queries, dim), dtype=np.float32)
    noise -= (noise * originals).sum(1, keepdims=True) * originals
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    dup_q = target * originals + np.sqrt(1 - target**2) * noise
    rnd_q = rng.standard_normal((args.queries, dim), dtype=np.float32)
    rnd_q /= np.linalg.norm(rnd_q, axis=1, keepdims=True)
    queries = np.concatenate([dup_q, rnd_q]).astype(np.float32)

    index = AnnIndex(dim, nlist=args.nlist, nprobe=args.nprobe[0])
    t0 = time.perf_counter()
    best_score = np.full(len(queries), -np.inf, dtype=np.float32)
    best_id = np.full(len(queries), -1, dtype=np.int64)
    t_exact = 0.0
    t_train = 0.0
    for i in range(chunks):
        block = _chunk(i, n, dim)
        ids = np.arange(i * CHUNK, i * CHUNK + len(block), dtype=np.int64)
        if i == 0:
            t = time.perf_counter()
            index.train(block[: min(len(block), 50 * args.nlist)])
            t_train = time.perf_counter() - t
        index.add(ids, ids, block)
        t = time.perf_counter()
        sims = queries @ block.T
        top = sims.argmax(axis=1)
        better = sims[np.arange(len(queries)), top] > best_score
        best_score[better] = sims[np.arange(len(queries)), top][better]
        best_id[better] = ids[top][better]
        t_exact += time.perf_counter() - t
        del block, sims
        if (i + 1) % 4 == 0:
            print(f"  {min(n, (i + 1) * CHUNK):,} added, {time.perf_counter() - t0 - t_exact:.0f} s", flush=True)
    build = time.perf_counter() - t0 - t_exact
    print(
        f"build: {build:.0f} s (k-means training {t_train:.0f} s on {min(n, 50 * args.nlist):,} vectors, the rest "
        f"adding); RSS now {_current_rss_mib():.0f} MiB, peak {_rss_mib():.0f} MiB"
    )
    print(f"exact top-1 of {len(queries)} queries by blocked products: {t_exact:.0f} s in total")
    planted = (best_id[: args.queries] == src).mean()
    print(
        f"duplicate queries whose exact top-1 is their original: {planted:.1%}; "
        f"exact top-1 cosine p50 duplicates {np.median(best_score[: args.queries]):.3f}, "
        f"random {np.median(best_score[args.queries :]):.3f}"
    )
    for nprobe in args.nprobe:
        index._index.nprobe = nprobe
        got, times = [], []
        for q in queries[:10]:
            index.search(q, k=1)
        for q in queries:
            t = time.perf_counter()
            m = index.search(q, k=1)
            times.append(time.perf_counter() - t)
            got.append(m[0].template_id if m else -1)
        got_arr = np.array(got)
        ms = np.array(times) * 1000
        rec_dup = (got_arr[: args.queries] == best_id[: args.queries]).mean()
        rec_rnd = (got_arr[args.queries :] == best_id[args.queries :]).mean()
        print(
            f"nprobe {nprobe}: recall of exact top-1 - duplicates {rec_dup:.1%}, random {rec_rnd:.1%}; "
            f"per query p50 {np.percentile(ms, 50):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms"
        )
    # nightly scan: every template queries the index (batched); timed on a sample, extrapolated
    index._index.nprobe = args.nprobe[0] if len(args.nprobe) == 1 else args.nprobe[1]
    sample = _chunk(0, n, dim)[: args.scan_sample]
    t = time.perf_counter()
    for start in range(0, len(sample), 5000):
        index.search_many(sample[start : start + 5000], k=10, exclude_owners=range(start, start + 5000), threshold=0.6)
    scan = time.perf_counter() - t
    print(
        f"nightly scan, nprobe {index._index.nprobe}: {len(sample):,} templates queried in {scan:.1f} s "
        f"({scan / len(sample) * 1000:.2f} ms each) -> EXTRAPOLATED to {n:,}: {scan / len(sample) * n / 3600:.1f} h"
    )
    print(f"peak RSS {_rss_mib():.0f} MiB")


if __name__ == "__main__":
    main()
