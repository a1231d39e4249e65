"""The duplicate threshold for a 1:N search, from the impostor tail of REAL East-Asian embeddings.

    .venv/bin/python bench/face_dedup/threshold.py
    .venv/bin/python bench/face_dedup/threshold.py --u-quantile 0.999   # sensitivity to the tail cut

One face, one benefit identity: a new template is searched against N enrolled templates of other
people, and every template at or above ``duplicate`` opens a case. With the impostor exceedance
P(score >= t), a stranger's expected false flags are N * P(t). This script measures P(t) on every
different-person photo pair of the East-Asian dev set (var/facecache/eastasia.npz, the endpoint's own
embeddings; usable subject faces only, chosen and gated as bench/face_verify/calibrate.py does), for the
primary 128-d cosine (what the duplicate check compares) and the served fused score (128 + 192,
z-normalised with calibrate.py's half-A impostor statistics, mapped back on the primary's scale).

Held out: the tail model is fitted on the people of half A only and checked against half B's all-pairs
exceedance; the same-person pairs detected at each threshold are counted on half B.

Tail model: a generalized Pareto distribution (GPD) fitted by maximum likelihood to the excesses over
``u``, the ``--u-quantile`` quantile of half A's impostor scores (0.99 by default, fixed before any
look at half B): the peaks-over-threshold limit for the upper tail of any smooth distribution, with a
shape that can be negative (a bounded tail, as a cosine is) or positive (heavier than a Gaussian). Two
sensitivity models are printed alongside, both also fitted on half A only: a Gaussian on all impostor
scores, and the GPD with its shape fixed at 0 (an exponential tail, no finite endpoint). The exponential
one was added after the half-B check showed the fitted negative shape under-predicting half B's tail; it
over-predicts half A's own observed tail, so it is a pessimistic bound, not a fit.
Deterministic: no random draw anywhere (about 2 s).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats as sps

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench" / "face_verify"))
import calibrate  # noqa: E402

RULE = ("new", 0.5, 0.7)  # the subject rule calibrate.py chose on half A (served)
DUPLICATE = 0.62  # the served duplicate threshold (primary cosine)
GALLERY = (10**4, 10**5, 10**6, 10**7)
BUDGET = 0.01  # expected false matches per enrolment
VARIANTS = ("128", "fused")
MODELS = ("GPD", "exp", "Gauss")


@dataclass
class Half:
    impostor: dict[str, np.ndarray]  # variant -> scores of every different-person photo pair
    genuine: dict[str, np.ndarray]  # variant -> scores of every same-person photo pair
    photos: int
    people: int
    pair_people: np.ndarray  # per different-person pair: "identity|identity" (for how concentrated the tail is)


def scores(d: calibrate.Data, part: str, zstats: dict) -> Half:
    """All photo pairs of one half (upper triangle), both variants."""
    ids = [n.split("/")[0] for n in d.names]
    rows, owners = [], []
    for i in range(len(d.names)):
        c = calibrate.choose(d, i, RULE)
        if calibrate.half(ids[i]) == part and not isinstance(c, str):
            rows.append(c)
            owners.append(ids[i])
    o = np.array(owners)
    upper = np.triu(np.ones((len(rows), len(rows)), bool), 1)
    diff = upper & (o[:, None] != o[None, :])
    same = upper & (o[:, None] == o[None, :])
    c128 = d.emb["e128"][rows] @ d.emb["e128"][rows].T
    c192 = d.emb["e192"][rows] @ d.emb["e192"][rows].T
    mu1, sd1 = zstats["e128"]
    mu2, sd2 = zstats["e192"]
    fusedm = mu1 + sd1 * ((c128 - mu1) / sd1 + (c192 - mu2) / sd2) / 2  # calibrate.fused, vectorised
    out = {"128": c128, "fused": fusedm}
    left, right = np.nonzero(diff)
    return Half(
        {k: v[diff].astype(np.float64) for k, v in out.items()},
        {k: v[same].astype(np.float64) for k, v in out.items()},
        len(rows),
        len(set(owners)),
        np.char.add(np.char.add(o[left], "|"), o[right]),
    )


@dataclass
class Tail:
    """P(score >= t) above ``u``: ``pu`` times the survival of a GPD(shape ``xi``, ``sigma``) of the excess."""

    u: float
    pu: float  # P(score >= u) on the fitting half
    xi: float
    sigma: float

    def sf(self, t: float) -> float:
        if t < self.u:
            return float("nan")
        return self.pu * float(sps.genpareto.sf(t - self.u, self.xi, scale=self.sigma))

    def isf(self, p: float) -> float:
        """The t with P(score >= t) = p (p below pu)."""
        return float(self.u + sps.genpareto.isf(p / self.pu, self.xi, scale=self.sigma))

    @property
    def endpoint(self) -> float:
        return self.u - self.sigma / self.xi if self.xi < 0 else float("inf")


@dataclass
class Gauss:
    mu: float
    sd: float

    def sf(self, t: float) -> float:
        return float(sps.norm.sf(t, self.mu, self.sd))

    def isf(self, p: float) -> float:
        return float(sps.norm.isf(p, self.mu, self.sd))


def fit(imp: np.ndarray, q: float) -> dict[str, Tail | Gauss]:
    """The three tail models of one variant, all from half A's impostor scores."""
    u = float(np.quantile(imp, q))
    exc = imp[imp >= u] - u
    pu = float((imp >= u).mean())
    xi, _loc, sigma = sps.genpareto.fit(exc, floc=0.0)
    return {
        "GPD": Tail(u, pu, float(xi), float(sigma)),
        "exp": Tail(u, pu, 0.0, float(exc.mean())),  # shape fixed at 0: the ML scale is the mean excess
        "Gauss": Gauss(float(imp.mean()), float(imp.std())),
    }


def exceed(x: np.ndarray, t: float) -> float:
    return float((x >= t).mean())


def fmt(p: float) -> str:
    return "—" if not np.isfinite(p) else ("0" if p == 0 else f"{p:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--u-quantile", type=float, default=0.99, help="tail cut on half A (default 0.99)")
    args = parser.parse_args()

    d = calibrate.load("eastasia")
    plist = calibrate.pairs(calibrate.SHARED / "faces-eastasia-dev" / "pairs.csv", d)
    sp = calibrate.split(plist)
    zstats = calibrate.impostor_stats(d, sp["A"])
    print(
        "z-norm stats (half A impostors, as calibrate.py):",
        {k: tuple(round(x, 5) for x in v) for k, v in zstats.items()},
    )
    halves = {part: scores(d, part, zstats) for part in ("A", "B")}
    for part, h in halves.items():
        print(
            f"half {part}: {h.photos} usable subject faces of {h.people} people, "
            f"{h.impostor['128'].size} different-person pairs, {h.genuine['128'].size} same-person pairs"
        )

    a, b = halves["A"], halves["B"]
    for part, h in halves.items():
        top = h.impostor["128"] >= 0.55
        print(
            f"half {part}: {int(top.sum())} different-person pairs at 128-d >= 0.55, "
            f"from {len(set(h.pair_people[top]))} pairs of people"
        )
    models = {v: fit(a.impostor[v], args.u_quantile) for v in VARIANTS}
    print(f"\n== tail models fitted on half A (GPD and exp over the {args.u_quantile:g} quantile u) ==")
    for v, fitted in models.items():
        g, e, gs = fitted["GPD"], fitted["exp"], fitted["Gauss"]
        assert isinstance(g, Tail) and isinstance(e, Tail) and isinstance(gs, Gauss)
        print(
            f"{v:>5}: u {g.u:.4f} ({round(g.pu * a.impostor[v].size)} excesses); GPD shape {g.xi:+.4f} "
            f"scale {g.sigma:.4f} (endpoint {g.endpoint:.3f}); exp scale {e.sigma:.4f}; Gaussian mean {gs.mu:.4f} "
            f"sd {gs.sd:.4f}; max A {a.impostor[v].max():.4f}, max B {b.impostor[v].max():.4f}"
        )

    for v in VARIANTS:
        print(
            f"\n== {v}: impostor exceedance P(score >= t), half A observed, the models fitted on A, half B observed =="
        )
        print(f"{'t':>5} | {'A obs':>9} {'GPD':>9} {'exp':>9} {'Gauss':>9} | {'B obs':>9}")
        for t in np.round(np.arange(0.40, 0.8001, 0.02), 2):
            cells = [fmt(m.sf(t)) for m in models[v].values()]
            print(
                f"{t:5.2f} | {fmt(exceed(a.impostor[v], t)):>9} {cells[0]:>9} {cells[1]:>9} {cells[2]:>9} "
                f"| {fmt(exceed(b.impostor[v], t)):>9}"
            )
    print(
        f"(smallest observable non-zero exceedance: 1/{a.impostor['128'].size} = {1 / a.impostor['128'].size:.1e} "
        f"on A, 1/{b.impostor['128'].size} = {1 / b.impostor['128'].size:.1e} on B)"
    )

    print(
        f"\n== gallery of N: t(N) with N * P(score >= t) <= {BUDGET:g} per enrolment (models fitted on A), "
        f"share of B's same-person pairs >= t(N); expected false flags per enrolment at {DUPLICATE} =="
    )
    print(f"{'N':>10} {'variant':>7} | " + " | ".join(f"{k:>5} t(N)  found  flags@{DUPLICATE}" for k in MODELS))
    for n in GALLERY:
        for v in VARIANTS:
            cells = []
            for k in MODELS:
                m = models[v][k]
                t = m.isf(BUDGET / n)
                shown = f"{t:10.4f}" if t <= 1 else f"{'> 1':>10}"  # beyond any cosine: nothing is found
                cells.append(f"{shown} {exceed(b.genuine[v], t):6.1%} {n * m.sf(DUPLICATE):10.3g}")
            print(f"{n:>10,} {v:>7} | " + " | ".join(cells))
    print(
        f"\nsame-person pairs of B at {DUPLICATE}: 128 {exceed(b.genuine['128'], DUPLICATE):.1%}, "
        f"fused {exceed(b.genuine['fused'], DUPLICATE):.1%} ({b.genuine['128'].size} pairs)"
    )
    print(
        "expected flags F per enrolment; the share of strangers with at least one flag is 1 - exp(-F) if the "
        "gallery's templates are independent. Any t(N) above the largest observed impostor score is an "
        "extrapolation of the fitted tail."
    )


if __name__ == "__main__":
    main()
