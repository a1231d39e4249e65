"""1:N at provincial scale: the served approximate index (facecheck.engine.index.AnnIndex, faiss).

    nice -n 5 .venv/bin/python bench/face_dedup/ann.py --n 10000000 [--nprobe 64 128 256 512]
        [--nlist 0] [--spill 2] [--pq-m 64] [--rerank 100] [--data real|random]

Gallery: ``--n`` synthetic 128-d templates, drawn chunk by chunk from fixed seeds (the float32 matrix
is never held whole). ``--data real`` (default): a two-covariance model (person, photo) fitted to the
real East-Asian dev embeddings (bench/face_dedup/synth.py; needs var/facecache/eastasia.npz from
bench/face_verify/cache.py --set eastasia); ``--data random``: random unit vectors (the pessimistic case).

Queries (none of them is in the gallery), each a new enrolment under another identity:
- "duplicate": another photo of the person of a stored template, at >= the threshold to it (the case
  the target is about);
- "same-any": other such photos not picked as duplicates (almost all below the threshold, where even
  exact search reports nothing);
- "stranger": a new person (no duplicate in the gallery).
Exact top-1: blocked matrix products over the same gallery. Recall figures:
- TARGET: queries whose exact top-1 scores >= threshold: the approximate top-1 is that template
  (split into the "duplicate" queries and the others that happen to have a template >= threshold);
- SERVED recall: among those queries, the exact top-1 is one of the candidates the enrolment check
  (``face_duplicates_check``: ``search(k=10, threshold=...)``) gets back and then confirms on the stored
  float32 embeddings, so the exact top-1 is what it records.
Latency: one query at a time through ``AnnIndex.search(k=10, threshold=...)``, as at enrollment; the
top-1 figures are that call's best candidate. ``--rerank`` takes several values: the index is built
once and each value is a query-time setting. Nightly scan: every
template queries the index in batches of 10,000; timed on ``--scan-sample`` templates and EXTRAPOLATED
to ``--n`` (printed as such).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from facecheck.engine.index import AnnIndex

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
CHUNK = 500_000


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _query_figures(
    index: AnnIndex,
    queries: np.ndarray,
    best_id: np.ndarray,
    target: np.ndarray,
    kinds: np.ndarray,
    threshold: float,
    label: str,
) -> None:
    """One query at a time as the enrolment check makes it (k=10, the threshold): recall and latency."""
    for q in queries[:20]:
        index.search(q, k=10, threshold=threshold)
    top, served, ms, cpu = [], [], [], []
    for q, exact in zip(queries, best_id, strict=True):
        t, c = time.perf_counter(), time.thread_time()
        found = index.search(q, k=10, threshold=threshold)
        ms.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        top.append(found[0].template_id if found else -1)
        served.append(any(m.template_id == exact for m in found))
    hit, served_arr, ms_arr, cpu_arr = np.array(top) == best_id, np.array(served), np.array(ms), np.array(cpu)
    dup = kinds == "duplicate"
    print(
        f"{label}: SERVED recall (exact top-1 among the candidates confirmed exactly; queries with a template >= "
        f"{threshold}, {target.sum()}): {served_arr[target].mean():.2%} ({(~served_arr[target]).sum()} missed); "
        f"TARGET recall of exact top-1 as the best candidate: {hit[target].mean():.2%} "
        f"({(~hit[target]).sum()} missed; duplicate queries {_share(hit[target & dup])}, others "
        f"{_share(hit[target & ~dup])}); "
        f"per query wall p50 {np.percentile(ms_arr, 50):.2f} ms, p95 {np.percentile(ms_arr, 95):.2f} ms, "
        f"max {ms_arr.max():.1f} ms; CPU p50 {np.percentile(cpu_arr, 50):.2f} ms, "
        f"p95 {np.percentile(cpu_arr, 95):.2f} ms",
        flush=True,
    )


def _share(hits: np.ndarray) -> str:
    return f"{hits.mean():.1%} of {len(hits)}" if len(hits) else "none"


def _rss_mib() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    import faiss
    import synth

    from facecheck.engine.index import AnnIndex

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--data", choices=["real", "random"], default="real")
    parser.add_argument("--nlist", type=int, default=0, help="0: AnnIndex's automatic choice for --n")
    parser.add_argument("--spill", type=int, default=2)
    parser.add_argument("--train-rounds", type=int, default=4)
    parser.add_argument("--pq-m", type=int, default=64, help="4-bit sub-quantizers per fast-scan code")
    parser.add_argument(
        "--rerank", type=int, nargs="+", default=[100], help="fast-scan candidates re-scored beyond the k wanted"
    )
    parser.add_argument("--nprobe", type=int, nargs="+", default=[64, 128, 256, 512])
    parser.add_argument("--threshold", type=float, default=0.62, help="the East-Asian calibrated 'duplicate'")
    parser.add_argument("--duplicates", type=int, default=1000)
    parser.add_argument("--any-same", type=int, default=500)
    parser.add_argument("--strangers", type=int, default=500)
    parser.add_argument("--scan-sample", type=int, default=50_000)
    parser.add_argument("--scan-nprobe", type=int, default=0, help="0: the last --nprobe")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    faiss.omp_set_num_threads(args.threads)
    model = synth.fit() if args.data == "real" else synth.isotropic()
    n, dim, chunks = args.n, model.dim, (args.n + CHUNK - 1) // CHUNK
    print(
        f"{n:,} synthetic {dim}-d templates ({args.data}), faiss {faiss.__version__}, cores {os.cpu_count()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    if not model.random:
        print(
            f"model fitted on {model.faces:,} real faces of {model.people} people: participation ratio between "
            f"{model.participation_ratio('between'):.0f}, within {model.participation_ratio('within'):.0f} of "
            f"{dim}; REAL same-person cosines p50 {np.median(model.same):.3f} ({len(model.same):,} pairs, "
            f"{(model.same >= args.threshold).mean():.1%} >= {args.threshold}), impostor p50 / p99.9 "
            f"{np.median(model.impostor):.3f} / {np.quantile(model.impostor, 0.999):.3f}"
        )

    def chunk(i: int) -> tuple[np.ndarray, np.ndarray]:
        return model.chunk(i, n, CHUNK)

    # queries: another photo of the person of a row of the last chunk (rows are i.i.d.; the last chunk
    # is not in the training sample). "duplicate": those at >= threshold to their source.
    rng = np.random.default_rng(7)
    last = chunks - 1
    z_last, x_last = chunk(last)
    pool = min(len(z_last), 8 * (args.duplicates + args.any_same))
    rows = rng.choice(len(z_last), pool, replace=False)
    copies = model.same_person(rng, z_last[rows])
    cos_src = (copies * x_last[rows]).sum(1)
    dup_rows = np.flatnonzero(cos_src >= args.threshold)[: args.duplicates]
    any_rows = np.setdiff1d(np.arange(pool), dup_rows)[: args.any_same]
    pick = np.concatenate([dup_rows, any_rows])
    stranger_q = model.embed(model.latent(rng, args.strangers))
    queries = np.ascontiguousarray(np.concatenate([copies[pick], stranger_q]).astype(np.float32))
    kinds = np.array(["duplicate"] * len(dup_rows) + ["same-any"] * len(any_rows) + ["stranger"] * args.strangers)
    sources = np.concatenate([last * CHUNK + rows[pick], np.full(args.strangers, -1)])
    del z_last, x_last
    people = model.latent(np.random.default_rng(3), 4000)
    a, b = model.embed(people[:2000]), model.same_person(np.random.default_rng(4), people[:2000])
    stranger_cos = (a * model.embed(people[2000:])).sum(1)
    same_cos = (a * b).sum(1)
    print(
        f"SYNTHETIC same-person cosines p50 {np.median(same_cos):.3f} ({(same_cos >= args.threshold).mean():.1%} >= "
        f"{args.threshold}), impostor p50 / p99.9 {np.median(stranger_cos):.3f} / "
        f"{np.quantile(stranger_cos, 0.999):.3f}; queries: {len(dup_rows)} duplicate (cosine to their source "
        f"p50 {np.median(cos_src[dup_rows]):.3f}), {len(any_rows)} same-person below it, {args.strangers} strangers"
    )

    index = AnnIndex(
        dim,
        nlist=args.nlist,
        nprobe=args.nprobe[0],
        spill=args.spill,
        train_rounds=args.train_rounds,
        expected=n,
        pq_m=args.pq_m,
        rerank=args.rerank[0],
    )
    t0 = time.perf_counter()
    need = min(n, index.train_size)
    sample = np.concatenate([chunk(i)[1] for i in range((need + CHUNK - 1) // CHUNK)])[:need]
    t_gen = time.perf_counter() - t0
    t = time.perf_counter()
    index.train(sample)
    t_train = time.perf_counter() - t
    del sample
    print(
        f"trained {index.nlist:,} cells ({args.train_rounds} k-means rounds) on {need:,} templates in {t_train:.0f} s",
        flush=True,
    )
    best_score = np.full(len(queries), -np.inf, dtype=np.float32)
    best_id = np.full(len(queries), -1, dtype=np.int64)
    t_add = t_exact = 0.0
    for i in range(chunks):
        t = time.perf_counter()
        _z, block = chunk(i)
        t_gen += time.perf_counter() - t
        ids = np.arange(i * CHUNK, i * CHUNK + len(block), dtype=np.int64)
        t = time.perf_counter()
        index.add(ids, ids, block)
        t_add += time.perf_counter() - t
        t = time.perf_counter()
        for s in range(0, len(block), 25_000):
            sims = queries @ block[s : s + 25_000].T
            top = sims.argmax(axis=1)
            score = sims[np.arange(len(queries)), top]
            better = score > best_score
            best_score[better], best_id[better] = score[better], ids[s + top[better]]
        t_exact += time.perf_counter() - t
        if (i + 1) % 4 == 0 or i == chunks - 1:
            print(f"  {min(n, (i + 1) * CHUNK):,} added, add {t_add:.0f} s, RSS {_rss_mib():.0f} MiB", flush=True)
    print(
        f"BUILD {n:,}: train {t_train:.0f} s + add {t_add:.0f} s = {t_train + t_add:.0f} s "
        f"(generating the vectors {t_gen:.0f} s and the exact search {t_exact:.0f} s not included); "
        f"RSS after build {_rss_mib():.0f} MiB, peak so far {_peak_mib():.0f} MiB; "
        f"fast-scan codes and ids {index._index.ntotal * (index.pq_m // 2 + 8) / 2**20:.0f} MiB ({index.spill} "
        f"cells per template), re-rank rows {len(index) * (dim + 16) / 2**20:.0f} MiB, id lookup "
        f"{len(index) * 16 / 2**20:.0f} MiB"
    )
    dup = kinds == "duplicate"
    has_dup = best_score >= args.threshold
    print(
        f"exact: duplicate queries whose exact top-1 is their source {(best_id[dup] == sources[dup]).mean():.1%}; "
        f"queries with a template >= {args.threshold}: duplicate {has_dup[dup].mean():.1%}, "
        f"same-any {has_dup[kinds == 'same-any'].mean():.1%}, stranger {has_dup[kinds == 'stranger'].mean():.1%}"
    )
    faiss.omp_set_num_threads(1)  # one request per worker process, as served
    for rerank in args.rerank:
        index.rerank = rerank
        for nprobe in args.nprobe:
            index.nprobe = nprobe
            _query_figures(index, queries, best_id, has_dup, kinds, args.threshold, f"rerank {rerank}, nprobe {nprobe}")
    faiss.omp_set_num_threads(args.threads)
    index.nprobe = args.scan_nprobe or args.nprobe[-1]
    _z, sample = chunk(0)
    sample = sample[: args.scan_sample]
    t = time.perf_counter()
    candidates = 0
    for start in range(0, len(sample), 10_000):
        part = sample[start : start + 10_000]
        batch = index.search_many(part, k=10, exclude_owners=range(start, start + len(part)), threshold=args.threshold)
        candidates += sum(len(f) for f in batch)
    scan = time.perf_counter() - t
    print(
        f"NIGHTLY SCAN nprobe {index.nprobe}: {len(sample):,} templates queried in {scan:.1f} s "
        f"({scan / len(sample) * 1000:.2f} ms each, {candidates} candidates) -> EXTRAPOLATED to {n:,} "
        f"templates: {scan / len(sample) * n / 3600:.2f} h"
    )
    print(f"peak RSS {_peak_mib():.0f} MiB; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
