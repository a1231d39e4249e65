"""Cohort score normalisation (adaptive S-norm) on the served fusion, from the cache of cache.py.

    .venv/bin/python bench/face_verify/snorm.py            # grid on half A, then the chosen one on half B
    .venv/bin/python bench/face_verify/snorm.py --draws    # and half B under other random cohorts
    .venv/bin/python bench/face_verify/snorm.py --a-only   # the grid and its stability on half A only
    .venv/bin/python bench/face_verify/snorm.py --gates 0.416   # LFW half B genuine pairs not accepted: why

The served score s(probe, template) is the 128-d + 192-d fusion (mean of z-normalised flip-averaged
cosines on the 128-d cosine scale, z statistics from East-Asian half A's impostors, as calibrate.py).
Adaptive S-norm scores each side against a cohort of OTHER people's embeddings and keeps the top K:

    s' = ((s - mu_p) / sd_p + (s - mu_t) / sd_t) / 2

Two variants: "fused" normalises the served fused score; "per-model" normalises each model's cosine
and averages the two normalised scores. The cohort is a random sample (fixed seed) of half A's usable
East-Asian photos (subject face, endpoint gates passed), never containing either person of the pair
being scored (in production: a sample of the deployment's enrolled templates of other people). Every
choice (variant, K, cohort size) and every threshold (FAR 0.1 %) comes from East-Asian half A; the
figures are on half B (pairs whose two people are both in B), East-Asian and the cached LFW subset,
next to the served baseline computed here. Half B is evaluated once per run, for the chosen
configuration and the baseline only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from calibrate import (
    CACHE,
    FAILED,
    SHARED,
    Data,
    choose,
    evaluate,
    half,
    impostor_stats,
    load,
    pairs,
    split,
    tar_at_far,
)

RULE = ("new", 0.5, 0.7)  # the served subject rule (calibrate.py)
SIZES = (200, 400, 0)  # cohort sizes; 0: every usable photo of half A
KS = (25, 50, 100, 200, 0)  # 0: the whole cohort (plain, non-adaptive S-norm)
VARIANTS = ("fused", "per-model")
SEED = 20261201


def identity(name: str) -> str:
    return name.split("/")[0]


def chosen_rows(d: Data) -> list[int | str]:
    return [choose(d, i, RULE) for i in range(len(d.names))]


def cohort_rows(ea: Data, size: int, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """Face rows and identities of a random sample of half A's usable East-Asian photos."""
    rows, owners = [], []
    for i, c in enumerate(chosen_rows(ea)):
        if isinstance(c, int) and half(identity(ea.names[i])) == "A":
            rows.append(c)
            owners.append(identity(ea.names[i]))
    rows_arr, owners_arr = np.array(rows), np.array(owners)
    if size and size < len(rows):
        pick = np.sort(np.random.default_rng(seed).choice(len(rows), size, replace=False))
        rows_arr, owners_arr = rows_arr[pick], owners_arr[pick]
    return rows_arr, owners_arr


class Scorer:
    """Raw and normalised scores of pairs of one data set against one cohort."""

    def __init__(self, d: Data, ea: Data, cohort: tuple[np.ndarray, np.ndarray], stats: dict) -> None:
        self.d, self.stats = d, stats
        rows, self.owners = cohort
        self.chosen = chosen_rows(d)
        self.z: dict[str, np.ndarray] = {}
        for k in ("e128", "e192"):
            cos = d.emb[k] @ ea.emb[k][rows].T  # every face row x cohort
            self.z[k] = (cos - stats[k][0]) / stats[k][1]
        mu, sd = stats["e128"]
        self.fused = mu + sd * (self.z["e128"] + self.z["e192"]) / 2  # the served score vs each cohort face

    def _top(self, values: np.ndarray, keep: np.ndarray, k: int) -> tuple[float, float]:
        v = values[keep]
        top = v[np.argpartition(-v, k - 1)[:k]] if k < v.size else v
        return float(top.mean()), float(max(top.std(), 1e-6))

    def raw(self, a: int, b: int) -> tuple[float, float, float]:
        z = [
            (float(self.d.emb[k][a] @ self.d.emb[k][b]) - self.stats[k][0]) / self.stats[k][1] for k in ("e128", "e192")
        ]
        mu, sd = self.stats["e128"]
        return mu + sd * (z[0] + z[1]) / 2, z[0], z[1]

    def score(self, plist, variant: str | None, k: int) -> tuple[np.ndarray, np.ndarray]:
        out, same = [], []
        for left, right, s in plist:
            a, b = self.chosen[self.d.index[left]], self.chosen[self.d.index[right]]
            same.append(s)
            if isinstance(a, str) or isinstance(b, str):
                out.append(FAILED * 100)  # below every normalised score too
                continue
            fused, z128, z192 = self.raw(a, b)
            if variant is None:
                out.append(fused)
                continue
            keep = (self.owners != identity(left)) & (self.owners != identity(right))
            if variant == "fused":
                mp, sp = self._top(self.fused[a], keep, k)
                mt, st = self._top(self.fused[b], keep, k)
                out.append(((fused - mp) / sp + (fused - mt) / st) / 2)
            else:
                parts = []
                for key, value in (("e128", z128), ("e192", z192)):
                    mp, sp = self._top(self.z[key][a], keep, k)
                    mt, st = self._top(self.z[key][b], keep, k)
                    parts.append(((value - mp) / sp + (value - mt) / st) / 2)
                out.append(float(np.mean(parts)))
        return np.array(out), np.array(same)


def tar_line(label: str, scores: np.ndarray, same: np.ndarray, thr: float) -> str:
    g, i = scores[same], scores[~same]
    return (
        f"{label:<44} genuine/impostor {g.size}/{i.size}  TAR {(g >= thr).mean():.2%} ({(g >= thr).sum()})  "
        f"FAR {(i >= thr).mean():.3%} ({(i >= thr).sum()}/{i.size})  at A's threshold {thr:.4f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--a-only", action="store_true", help="never touch half B")
    parser.add_argument(
        "--draws", action="store_true", help="also half B with the other cohort draws (the threshold stays A's)"
    )
    parser.add_argument("--gates", type=float, metavar="ACCEPT", help="only: why LFW half B genuine pairs fail")
    args = parser.parse_args()
    if args.gates is not None:
        gate_breakdown(args.gates)
        return
    ea = load("eastasia_512") if (CACHE / "eastasia_512.npz").exists() else load("eastasia")
    sp = split(pairs(SHARED / "faces-eastasia-dev" / "pairs.csv", ea))
    stats = impostor_stats(ea, sp["A"])
    print("z stats (half A impostors):", {k: tuple(round(x, 5) for x in v) for k, v in stats.items() if k != "e512"})

    print("\n== grid on East-Asian half A (TAR at FAR 0.1 %, threshold fitted on A) ==")
    base = Scorer(ea, ea, cohort_rows(ea, 0), stats)
    sA, yA = base.score(sp["A"], None, 0)
    tarA, thrA = tar_at_far(sA[yA], sA[~yA], 0.001)
    print(f"served (no cohort): TAR {tarA:.2%} thr {thrA:.4f}")
    results = []
    for size in SIZES:
        cohort = cohort_rows(ea, size)
        scorer = Scorer(ea, ea, cohort, stats)
        for variant in VARIANTS:
            for k in KS:
                if k > 0.5 * cohort[0].size:
                    continue
                k = k or cohort[0].size
                s, y = scorer.score(sp["A"], variant, k)
                tar, thr = tar_at_far(s[y], s[~y], 0.001)
                results.append((tar, -cohort[0].size, -k, variant, size, k, thr))
                print(f"cohort {cohort[0].size:4d} {variant:<9} K={k:<4d} TAR {tar:.2%} thr {thr:.4f}")
    best = max(results)
    _tar, _n, _k, variant, size, k, thr = best
    print(f"\nchosen on half A: {variant}, cohort size {size or 'all'}, K={k} (TAR {best[0]:.2%}, thr {thr:.4f})")

    print("\n== stability of the chosen configuration on half A: other random cohorts of the same size ==")
    thrs, tars = [], []
    for seed in range(1, 6):
        scorer = Scorer(ea, ea, cohort_rows(ea, size, SEED + seed), stats)
        s, y = scorer.score(sp["A"], variant, k)
        tar, t = tar_at_far(s[y], s[~y], 0.001)
        thrs.append(t)
        tars.append(tar)
        print(f"seed +{seed}: TAR {tar:.2%} thr {t:.4f}; FAR at the chosen threshold {(s[~y] >= thr).mean():.3%}")
    print(f"threshold spread {min(thrs):.4f}..{max(thrs):.4f}, TAR {min(tars):.2%}..{max(tars):.2%}")
    if (CACHE / "lfw.npz").exists():
        print("\n== FAR on a population unlike the cohort: LFW half A, all different-person photo pairs ==")
        all_pairs_far(load("lfw"), ea, stats, variant, size, k, thr, thrA)
    if args.a_only:
        return

    print("\n== held-out half B (one evaluation: served baseline and the chosen S-norm, thresholds from A) ==")
    data = {"East-Asian": (ea, sp)}
    if (CACHE / "lfw.npz").exists():
        lfw = load("lfw")
        data["LFW subset"] = (lfw, split(pairs(SHARED / "faces-dev" / "pairs.csv", lfw)))
    cohort = cohort_rows(ea, size)
    for name, (d, part) in data.items():
        scorer = Scorer(d, ea, cohort, stats)
        s, y = scorer.score(part["B"], None, 0)
        print(tar_line(f"{name} B served", s, y, thrA))
        s, y = scorer.score(part["B"], variant, k)
        print(tar_line(f"{name} B S-norm {variant} n={size or 'all'} K={k}", s, y, thr))
    if not args.draws:
        return
    # Production draws its cohort at random and redraws it: what half B sees with other draws of the same
    # size, at the threshold fitted on A with the first draw (descriptive only: nothing is chosen from it).
    print("\n== half B with other cohort draws of the same size, threshold from A's first draw ==")
    for seed in range(1, 6):
        cohort = cohort_rows(ea, size, SEED + seed)
        for name, (d, part) in data.items():
            s, y = Scorer(d, ea, cohort, stats).score(part["B"], variant, k)
            print(tar_line(f"{name} B draw +{seed}", s, y, thr))


def all_pairs_far(d: Data, ea: Data, stats: dict, variant: str, size: int, k: int, thr: float, thr_a: float) -> None:
    """Every different-person photo pair of LFW half A (people in neither the cohort nor any choice): how
    many reach the served and the S-norm thresholds (a population unlike the East-Asian cohort)."""
    scorer = Scorer(d, ea, cohort_rows(ea, size), stats)
    rows = [c for i, c in enumerate(scorer.chosen) if isinstance(c, int) and half(identity(d.names[i])) == "A"]
    owners = np.array([identity(d.names[int(d.fimg[r])]) for r in rows])
    keep = np.ones(scorer.owners.size, bool)
    z = {key: (d.emb[key][rows] @ d.emb[key][rows].T - stats[key][0]) / stats[key][1] for key in ("e128", "e192")}
    mu, sd = stats["e128"]
    served = mu + sd * (z["e128"] + z["e192"]) / 2
    if variant == "fused":
        tops = np.array([scorer._top(scorer.fused[r], keep, k) for r in rows])
        norm = ((served - tops[:, None, 0]) / tops[:, None, 1] + (served - tops[None, :, 0]) / tops[None, :, 1]) / 2
    else:
        parts = []
        for key in ("e128", "e192"):
            tops = np.array([scorer._top(scorer.z[key][r], keep, k) for r in rows])
            parts.append(
                ((z[key] - tops[:, None, 0]) / tops[:, None, 1] + (z[key] - tops[None, :, 0]) / tops[None, :, 1]) / 2
            )
        norm = (parts[0] + parts[1]) / 2
    mask = np.triu(np.ones(served.shape, bool), 1) & (owners[:, None] != owners[None, :])
    same = np.triu(np.ones(served.shape, bool), 1) & (owners[:, None] == owners[None, :])
    print(
        f"LFW half A, {len(rows)} usable photos, {mask.sum()} different-person pairs: served >= {thr_a:.4f}: "
        f"{(served[mask] >= thr_a).sum()}; S-norm >= {thr:.4f}: {(norm[mask] >= thr).sum()}. "
        f"Same-person pairs ({same.sum()}) accepted: served {(served[same] >= thr_a).mean():.2%}, "
        f"S-norm {(norm[same] >= thr).mean():.2%}"
    )


def gate_breakdown(threshold: float) -> None:
    """LFW half B genuine pairs the served pipeline does not accept at ``threshold``: why."""
    lfw = load("lfw")
    part = split(pairs(SHARED / "faces-dev" / "pairs.csv", lfw))["B"]
    ea = load("eastasia_512") if (CACHE / "eastasia_512.npz").exists() else load("eastasia")
    stats = impostor_stats(ea, split(pairs(SHARED / "faces-eastasia-dev" / "pairs.csv", ea))["A"])
    chosen = chosen_rows(lfw)
    scores, _same, _ = evaluate(lfw, part, RULE, "128+192", stats)
    counts: dict[str, int] = {}
    genuine = 0
    for (left, right, s), score in zip(part, scores, strict=True):
        if not s:
            continue
        genuine += 1
        if score >= threshold:
            continue
        codes = [c for c in (chosen[lfw.index[left]], chosen[lfw.index[right]]) if isinstance(c, str)]
        key = "+".join(sorted(set(codes))) if codes else "score below threshold"
        counts[key] = counts.get(key, 0) + 1
    print(f"LFW subset half B: {genuine} genuine pairs, {sum(counts.values())} not accepted at {threshold}: {counts}")


if __name__ == "__main__":
    main()
