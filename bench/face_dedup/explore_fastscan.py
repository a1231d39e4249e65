"""Exploration (docs/benchmarks.md, 1:N third round): 4-bit PQ fast-scan cells + re-rank vs the SQ8 cells.

    nice -n 5 .venv/bin/python -u bench/face_dedup/explore_fastscan.py --n 1000000

Same synthetic gallery, queries and recall definition as bench/face_dedup/ann.py (queries whose exact
top-1 scores >= 0.62: is the approximate top-1 that template?). The same cells (AnnIndex's spherical
k-means centres and HNSW quantizer) serve every layout; per query one thread, CPU time. Fast-scan layouts:
the ``R`` best fast-scan candidates are re-scored on 8-bit scalar-quantizer codes (one per template)
or on the float32 vectors, and the best re-scored one is the top-1.
"""

# ruff: noqa
# mypy: ignore-errors
# (exploration script, kept as it was run)

import argparse, os, sys, time, resource
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
CHUNK = 500_000


def main():
    import faiss
    import synth
    from facecheck.engine.index import AnnIndex, pack_fast_scan_codes

    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=1_000_000)
    p.add_argument("--nlist", type=int, default=0)
    p.add_argument("--threshold", type=float, default=0.62)
    p.add_argument("--sq-nprobe", type=int, nargs="+", default=[64, 128, 256])
    p.add_argument("--fs-nprobe", type=int, nargs="+", default=[64, 128, 256, 512])
    p.add_argument("--layouts", nargs="+", default=["32:1", "32:2", "64:1", "64:2"], help="M:spill")
    p.add_argument("--data", choices=["real", "random"], default="real")
    p.add_argument("--rerank", type=int, nargs="+", default=[10, 30, 100])
    args = p.parse_args()
    faiss.omp_set_num_threads(2)
    model = synth.fit() if args.data == "real" else synth.isotropic()
    n, dim = args.n, model.dim
    chunks = (n + CHUNK - 1) // CHUNK
    print(f"{n:,} templates, faiss {faiss.__version__}, load {open('/proc/loadavg').read().split()[:3]}", flush=True)

    def chunk(i):
        return model.chunk(i, n, CHUNK)

    rng = np.random.default_rng(7)
    last = chunks - 1
    z_last, x_last = chunk(last)
    pool = min(len(z_last), 8 * 1500)
    rows = rng.choice(len(z_last), pool, replace=False)
    copies = model.same_person(rng, z_last[rows])
    cos_src = (copies * x_last[rows]).sum(1)
    dup_rows = np.flatnonzero(cos_src >= args.threshold)[:1000]
    any_rows = np.setdiff1d(np.arange(pool), dup_rows)[:500]
    pick = np.concatenate([dup_rows, any_rows])
    queries = np.ascontiguousarray(
        np.concatenate([copies[pick], model.embed(model.latent(rng, 500))]).astype(np.float32)
    )
    del z_last, x_last

    base = AnnIndex(dim, nlist=args.nlist, expected=n)
    need = min(n, base.train_size)
    sample = np.concatenate([chunk(i)[1] for i in range((need + CHUNK - 1) // CHUNK)])[:need]
    t = time.perf_counter()
    base.train(sample)
    print(f"cells {base.nlist} trained in {time.perf_counter() - t:.0f} s", flush=True)
    quantizer = base._quantizer
    sq = faiss.ScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit)
    sq.train(sample)
    # the served layout before this round: SQ8 codes in each template's 2 nearest cells
    sq_ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dim, base.nlist, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    sq_ivf.train(sample)
    layouts = {}
    for spec in args.layouts:
        m, spill = (int(v) for v in spec.split(":"))
        ix = faiss.IndexIVFPQFastScan(quantizer, dim, base.nlist, m, 4, faiss.METRIC_INNER_PRODUCT)
        ix.by_residual = True
        t = time.perf_counter()
        ix.train(sample)
        layouts[spec] = [ix, spill, time.perf_counter() - t, 0.0]
    del sample
    gallery = np.empty((n, dim), dtype=np.float32)
    sq_codes = np.empty((n, sq.code_size), dtype=np.uint8)
    t_base = 0.0
    for i in range(chunks):
        _z, block = chunk(i)
        ids = np.arange(i * CHUNK, i * CHUNK + len(block), dtype=np.int64)
        gallery[ids] = block
        sq_codes[ids] = sq.compute_codes(block)
        quantizer.hnsw.efSearch = 32
        _, cells = quantizer.search(block, 2)
        t = time.perf_counter()
        for c in range(2):
            assigned = np.ascontiguousarray(cells[:, c])
            sq_ivf.add_core(len(ids), faiss.swig_ptr(block), faiss.swig_ptr(ids), faiss.swig_ptr(assigned))
        t_base += time.perf_counter() - t
        for spec, entry in layouts.items():
            ix, spill = entry[0], entry[1]
            t = time.perf_counter()
            for c in range(spill):
                pack_fast_scan_codes(ix, np.ascontiguousarray(cells[:, c]), block, ids)
            entry[3] += time.perf_counter() - t
        print(f"  {ids[-1] + 1:,} added", flush=True)
    print(
        f"SQ8 spill 2 add {t_base:.0f} s; "
        + "; ".join(
            f"PQ{s.split(':')[0]}x4fs spill {e[1]}: train {e[2]:.0f} s, add {e[3]:.0f} s (excl. assignment)"
            for s, e in layouts.items()
        )
    )
    exact = np.empty(len(queries), dtype=np.int64)
    best = np.empty(len(queries), dtype=np.float32)
    for s in range(0, len(queries), 500):
        sims = queries[s : s + 500] @ gallery.T
        exact[s : s + 500] = sims.argmax(1)
        best[s : s + 500] = sims.max(1)
    target = best >= args.threshold
    print(f"target queries {target.sum()} of {len(queries)}", flush=True)
    faiss.omp_set_num_threads(1)

    def report(name, got, cpu, extra=""):
        hit = got == exact
        cpu = np.array(cpu)
        print(
            f"{name}: TARGET recall {hit[target].mean():.2%} ({(~hit[target]).sum()} missed), all {hit.mean():.2%}; "
            f"CPU p50 {np.percentile(cpu, 50):.2f} ms p95 {np.percentile(cpu, 95):.2f} ms{extra}; "
            f"load {open('/proc/loadavg').read().split()[0]}",
            flush=True,
        )

    for nprobe in args.sq_nprobe:
        sq_ivf.nprobe = nprobe
        quantizer.hnsw.efSearch = max(nprobe, 16)
        got, cpu, qcpu = [], [], []
        for q in queries:
            c = time.thread_time()
            _, f = sq_ivf.search(q[None, :], 2 * 9)
            cpu.append((time.thread_time() - c) * 1000)
            got.append(f[0, 0])
            c = time.thread_time()
            quantizer.search(q[None, :], nprobe)
            qcpu.append((time.thread_time() - c) * 1000)
        print(f"  cell search alone (HNSW, ef {max(nprobe, 16)}): CPU p50 {np.percentile(qcpu, 50):.2f} ms")
        report(f"SQ8 spill 2 nprobe {nprobe}", np.array(got), cpu)
    for spec, (ix, spill, _tt, _ta) in layouts.items():
        for nprobe in args.fs_nprobe:
            ix.nprobe = nprobe
            quantizer.hnsw.efSearch = max(nprobe, 16)
            for r in args.rerank:
                got_sq, got_fl, cpu = [], [], []
                for q in queries:
                    q1 = q[None, :]
                    c = time.thread_time()
                    _, cand = ix.search(q1, r * spill)
                    cand = np.unique(cand[cand >= 0])
                    scores = sq.decode(sq_codes[cand]) @ q
                    top = cand[int(scores.argmax())] if len(cand) else -1
                    cpu.append((time.thread_time() - c) * 1000)
                    got_sq.append(top)
                    got_fl.append(cand[int((gallery[cand] @ q).argmax())] if len(cand) else -1)
                hit_fl = np.array(got_fl) == exact
                report(
                    f"PQ{spec.split(':')[0]}x4fs spill {spill} nprobe {nprobe} rerank {r}",
                    np.array(got_sq),
                    cpu,
                    f" (float32 re-rank: recall {hit_fl[target].mean():.2%})",
                )
    print(
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; load {open('/proc/loadavg').read().split()[:3]}"
    )


if __name__ == "__main__":
    main()
