"""Subject choice, padded retry and fusion evaluated from the cache of bench/face_verify/cache.py.

    .venv/bin/python bench/face_verify/calibrate.py
    .venv/bin/python bench/face_verify/calibrate.py --write-splits   # only var/*_pairs_{A,B}.csv

--write-splits writes the pair lists of each half for ``manage.py facecheck_eval`` (needs no cache):
var/ea_pairs_{A,B}.csv from faces-eastasia-dev/pairs.csv and var/lfw_ext_pairs_{A,B}.csv from
faces-dev/pairs_extended.csv, keeping the pairs whose two people are in the same half.

Held out: the people of each set are split in two halves by a fixed hash of the identity folder
(sha256, first byte even = half A). Every margin and threshold is chosen on half A's pairs only and
reported on half B's (pairs whose two identities are both in B). Nothing is tuned per photo.
"""

from __future__ import annotations

import csv
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from facecheck.engine.evaluation import FAILED, equal_error_rate, tar_at_far, threshold_at_far  # noqa: E402

CACHE = ROOT / "var" / "facecache"
SHARED = ROOT.parent / "shared"


CACHE_NAMES = {"eastasia": "eastasia", "lfw": "lfw"}


def half(identity: str) -> str:
    return "A" if hashlib.sha256(identity.encode()).digest()[0] % 2 == 0 else "B"


@dataclass
class Data:
    names: list[str]
    index: dict[str, int]
    n: np.ndarray
    padded: np.ndarray
    error: np.ndarray
    width: np.ndarray
    height: np.ndarray
    fimg: np.ndarray
    bbox: np.ndarray
    gate: np.ndarray
    emb: dict[str, np.ndarray]
    faces_of: list[list[int]]


def load(name: str) -> Data:
    z = np.load(CACHE / f"{name}.npz", allow_pickle=False)
    names = [str(x) for x in z["name"]]
    fimg = z["face_img"]
    faces_of: list[list[int]] = [[] for _ in names]
    for k, i in enumerate(fimg):
        faces_of[int(i)].append(k)
    emb = {k: z[f"face_{k}"] for k in ("e128", "e192", "e192n", "e512") if f"face_{k}" in z}
    return Data(
        names,
        {n: i for i, n in enumerate(names)},
        z["n"],
        z["padded"],
        z["error"],
        z["width"],
        z["height"],
        fimg,
        z["face_bbox"],
        z["face_gate"],
        emb,
        faces_of,
    )


def pairs(path: Path, cached: Data | None = None) -> list[tuple[str, str, bool]]:
    """The pairs of ``path`` (only those whose two photos are in the cache: a subset run)."""
    rows = [(r["left"], r["right"], r["same"] == "1") for r in csv.DictReader(path.open())]
    return [p for p in rows if cached is None or (p[0] in cached.index and p[1] in cached.index)]


# -- subject choice ---------------------------------------------------------------------------------
def choose(d: Data, img: int, rule: tuple, *, gates: bool = True, retry: bool = True) -> int | str:
    """Face row chosen for the photo, or the failure code, as the endpoint would answer."""
    if d.error[img]:
        return str(d.error[img])
    if d.n[img] == 0 or (d.padded[img] and not retry):
        return "face_not_found"
    rows = d.faces_of[img]
    boxes = d.bbox[rows]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    if rule[0] == "old":  # largest; refuse any other face of >= ratio x its area (cached faces are sorted)
        best = 0
        if gates and d.n[img] > 1 and np.any(areas[1:] >= rule[1] * areas[0]):
            return "face_multiple"
    else:  # subject score: area x centrality; refuse when the runner-up is within the margin
        _kind, sigma, margin = rule
        cx = (boxes[:, 0] + boxes[:, 2]) / 2 / d.width[img] - 0.5
        cy = (boxes[:, 1] + boxes[:, 3]) / 2 / d.height[img] - 0.5
        score = areas * np.exp(-(cx**2 + cy**2) / sigma**2)
        order = np.argsort(-score)
        best = int(order[0])
        if gates and len(rows) > 1 and score[order[1]] >= margin * score[best]:
            return "face_multiple"
    row = rows[best]
    if gates and d.gate[row]:
        return str(d.gate[row])
    return row


def fused(d: Data, a: int, b: int, mode: str, stats: dict) -> float:
    c = {k: float(d.emb[k][a] @ d.emb[k][b]) for k in ("e128", "e192", "e192n") if k in d.emb}
    if mode == "128":
        return c["e128"]
    z = [(c["e128"] - stats["e128"][0]) / stats["e128"][1]]
    keys = {"128+192": ["e192"], "128+192n": ["e192n"]}.get(mode, ["e192"])
    for k in keys:
        z.append((c[k] - stats[k][0]) / stats[k][1])
    if mode == "128+192+512":
        c512 = float(d.emb["e512"][a] @ d.emb["e512"][b])
        z.append((c512 - stats["e512"][0]) / stats["e512"][1])
    if mode == "128+192+512band":  # the 512-d model asked only inside the band of the 128+192 fusion
        mu, sd = stats["e128"]
        base = mu + sd * np.mean(z)
        low, high = stats["band"]
        if low <= base < high:
            c512 = float(d.emb["e512"][a] @ d.emb["e512"][b])
            z.append((c512 - stats["e512"][0]) / stats["e512"][1])
    mu, sd = stats["e128"]
    return float(mu + sd * np.mean(z))  # back on the 128-d cosine scale


def subject_labels(d: Data, plist) -> dict[int, int]:
    """For photos with several faces in genuine pairs: the face that matches the other photo's faces
    clearly best (proxy ground truth for 'the subject')."""
    labels: dict[int, int] = {}
    for left, right, same in plist:
        if not same:
            continue
        for x, y in ((left, right), (right, left)):
            i, j = d.index[x], d.index[y]
            if len(d.faces_of[i]) < 2 or not d.faces_of[j]:
                continue
            other = d.emb["e128"][d.faces_of[j]]
            sims = (d.emb["e128"][d.faces_of[i]] @ other.T).max(axis=1)
            top = np.argsort(-sims)
            if sims[top[0]] >= 0.35 and sims[top[0]] - sims[top[1]] >= 0.15:
                labels[i] = d.faces_of[i][int(top[0])]
    return labels


def evaluate(d: Data, plist, rule, mode, stats, *, gates=True, retry=True):
    chosen = [choose(d, i, rule, gates=gates, retry=retry) for i in range(len(d.names))]
    scores, same = [], []
    for left, right, s in plist:
        a, b = chosen[d.index[left]], chosen[d.index[right]]
        scores.append(FAILED if isinstance(a, str) or isinstance(b, str) else fused(d, a, b, mode, stats))
        same.append(s)
    return np.array(scores), np.array(same), chosen


def split(plist, identity=lambda p: p.split("/")[0]):
    out = {"A": [], "B": []}
    for p in plist:
        ha, hb = half(identity(p[0])), half(identity(p[1]))
        if ha == hb:
            out[ha].append(p)
    return out


def write_splits() -> None:
    for source, prefix in (
        (SHARED / "faces-eastasia-dev" / "pairs.csv", "ea_pairs"),
        (SHARED / "faces-dev" / "pairs_extended.csv", "lfw_ext_pairs"),
    ):
        for part, rows in split(pairs(source)).items():
            target = ROOT / "var" / f"{prefix}_{part}.csv"
            with target.open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["left", "right", "same"])
                writer.writerows((left, right, int(same)) for left, right, same in rows)
            print(f"wrote {target.relative_to(ROOT)}: {len(rows)} pairs ({sum(r[2] for r in rows)} genuine)")


def impostor_stats(d: Data, plist) -> dict:
    """Mean and sd of each model's cosine over impostor pairs (largest face), for z-normalisation."""
    stats = {}
    for k in d.emb:
        vals = []
        for left, right, same in plist:
            if same:
                continue
            a, b = d.faces_of[d.index[left]], d.faces_of[d.index[right]]
            if a and b and (k != "e512" or np.any(d.emb[k][a[0]])):
                vals.append(float(d.emb[k][a[0]] @ d.emb[k][b[0]]))
        if vals:
            stats[k] = (float(np.mean(vals)), float(np.std(vals)))
    return stats


def line(label, scores, same, thr=None):
    g, i = scores[same], scores[~same]
    tar3, t3 = tar_at_far(g, i, 0.001)
    tar2, _ = tar_at_far(g, i, 0.01)
    extra = ""
    if thr is not None:
        far = f"FAR {(i >= thr).mean():.3%} ({(i >= thr).sum()}/{i.size})"
        extra = f"  at fixed {thr:.3f}: {far} TAR {(g >= thr).mean():.2%}"
    print(
        f"{label:<48} n={same.sum()}/{(~same).sum()} TAR@1e-3 {tar3:.2%} (thr {t3:.3f}) TAR@1e-2 {tar2:.2%} "
        f"EER {equal_error_rate(g, i):.2%}{extra}"
    )
    return t3


def main() -> None:
    ea = load("eastasia_512") if (CACHE / "eastasia_512.npz").exists() else load("eastasia")
    ea_pairs = pairs(SHARED / "faces-eastasia-dev" / "pairs.csv", ea)
    ea_split = split(ea_pairs)
    stats = impostor_stats(ea, ea_split["A"])
    print("z-norm stats (East-Asian half A impostors):", {k: tuple(round(x, 4) for x in v) for k, v in stats.items()})
    data = {"eastasia": (ea, ea_split)}
    if (CACHE / "lfw.npz").exists():
        lfw = load("lfw")
        data["lfw"] = (lfw, split(pairs(SHARED / "faces-dev" / "pairs.csv", lfw)))

    # 1. the subject choice: proxy labels on half A of every set; grid over (sigma, margin)
    print("\n== subject choice (multi-face photos, labels from genuine pairs) ==")
    for name, (d, sp) in data.items():
        lab = subject_labels(d, sp["A"] + sp["B"])
        multi = sum(1 for i in range(len(d.names)) if len(d.faces_of[i]) > 1)
        print(f"{name}: {multi} photos with >1 face, {len(lab)} with a clear subject label")
    grid = [("old", 0.5)] + [("new", s, m) for s in (0.3, 0.5, 0.8, 10.0) for m in (0.5, 0.6, 0.7, 0.8, 0.9)]
    rows = []
    for rule in grid:
        wrong = refused = total = 0
        for name in ("eastasia", "lfw"):
            if name not in data:
                continue
            d, sp = data[name]
            lab = subject_labels(d, sp["A"])
            for img, truth in lab.items():
                c = choose(d, img, rule, gates=True)
                total += 1
                if c == "face_multiple":
                    refused += 1
                elif isinstance(c, int) and c != truth:
                    wrong += 1
        rows.append((rule, wrong, refused, total))
        print(f"half A {rule}: wrong subject {wrong}, refused {refused} of {total}")

    print("\n== endpoint-gated figures, held-out half B (thresholds at FAR 1e-3 fitted on half A) ==")
    # Chosen on half A only. No rule picked a wrong subject among the labelled photos, so the labels
    # cannot tell the margins apart; the most conservative rule (lowest margin at the moderate
    # centrality weight) that refuses none of them is taken: sigma 0.5, margin 0.7.
    chosen = ("new", 0.5, 0.7)
    print("chosen on half A:", chosen, [r[1:] for r in rows if r[0] == chosen])
    configs = [("old", 0.5), chosen]
    for rule in configs:
        for name, (d, sp) in data.items():
            used = {d.index[x] for p in sp["B"] for x in p[:2]}
            codes: dict[str, int] = {}
            for img in used:
                c = choose(d, img, rule)
                if isinstance(c, str):
                    codes[c] = codes.get(c, 0) + 1
            print(f"{name} B {rule}: {len(used)} photos, refused {sum(codes.values())}: {codes}")
        for mode in ("128", "128+192", "128+192n", "128+192+512"):
            if mode == "128+192+512" and "e512" not in stats:
                continue
            sA, yA, _ = evaluate(ea, ea_split["A"], rule, mode, stats)
            thr = threshold_at_far(sA[~yA], 0.001)
            for name, (d, sp) in data.items():
                if mode == "128+192+512" and name != "eastasia":
                    continue
                sB, yB, _ = evaluate(d, sp["B"], rule, mode, stats)
                line(f"{name} B {rule} {mode}", sB, yB, thr)
                if mode == "128":
                    line(f"{name} B {rule} {mode} configured accept", sB, yB, 0.47)
    extras(data, stats, configs[1])
    fusion_pack(data, stats, configs[1])


def all_pairs_far(d: Data, part: str, rule, threshold: float) -> tuple[int, int]:
    """Impostor accepts over every pair of photos of different people in one half (far more impostor
    pairs than the pair lists hold): the FAR effect of the subject choice."""
    ids = [n.split("/")[0] for n in d.names]
    rows, owners = [], []
    for i in range(len(d.names)):
        if half(ids[i]) != part:
            continue
        c = choose(d, i, rule)
        if isinstance(c, str):
            continue
        rows.append(c)
        owners.append(ids[i])
    emb = d.emb["e128"][rows]
    owners_arr = np.array(owners)
    sims = emb @ emb.T
    different = owners_arr[:, None] != owners_arr[None, :]
    upper = np.triu(np.ones_like(different), 1).astype(bool)
    mask = different & upper
    return int((sims[mask] >= threshold).sum()), int(mask.sum())


def extras(data, stats, rule) -> None:
    print("\n== FAR over all different-person photo pairs of half B, 128-d at accept 0.47 ==")
    for name, (d, _sp) in data.items():
        for r in (("old", 0.5), rule):
            hits, total = all_pairs_far(d, "B", r, 0.47)
            print(f"{name} {r}: {hits}/{total} impostor pairs >= 0.47 ({hits / total:.4%})")
    print("\n== padded retry (photos where the normal detection found nothing) ==")
    for name, (d, _sp) in data.items():
        if name == "lfw_ext":
            continue
        padded = d.padded.astype(bool)
        cached = CACHE / f"{CACHE_NAMES[name]}.npz"
        z = np.load(cached if cached.exists() else CACHE / f"{CACHE_NAMES[name]}_512.npz")
        t_det, t_retry = z["t_detect"], z["t_retry"]
        print(
            f"{name}: {len(d.names)} photos, {padded.sum()} needed the retry, "
            f"{(padded & (d.n > 0)).sum()} found a face by it, "
            f"{((d.n == 0) & (d.error == '')).sum()} still without a face; detection p50 "
            f"{np.median(t_det[d.error == '']) * 1000:.1f} ms, retry p50 "
            f"{np.median(t_retry[padded]) * 1000 if padded.any() else 0:.1f} ms (extra, only on those photos)"
        )
    print("\n== duplicate threshold (128-d cosine, subject face, gated) ==")
    d, sp = data["eastasia"]
    for part in ("A", "B"):
        sc, y, _ = evaluate(d, sp[part], rule, "128", stats)
        ok = sc > FAILED
        imp, gen = sc[~y & ok], sc[y & ok]
        print(
            f"East-Asian half {part}: impostor max {imp.max():.3f}, 99.99th pct {np.percentile(imp, 99.99):.3f}; "
            f"same-person pairs >= 0.55: {(gen >= 0.55).mean():.1%}, >= 0.60: {(gen >= 0.60).mean():.1%}, "
            f">= 0.65: {(gen >= 0.65).mean():.1%}"
        )


def fusion_pack(data, stats, rule) -> None:
    """The served fusion: which models, and its thresholds entry, chosen on half A, reported on half B.

    Every threshold below is fitted on East-Asian half A only; the figures are on half B (held-out
    people). The 512-d embeddings exist for the largest face only (cache.py --with-512), which is the
    subject in the single-person East-Asian photos; so the 512-d comparison is East-Asian only.
    """
    ea, sp = data["eastasia"]
    print("\n== served fusion: thresholds from East-Asian half A, figures on half B ==")
    thr: dict[str, tuple[float, float]] = {}
    modes = ["128", "128+192n", "128+192"]
    if "e512" in stats:
        modes += ["128+192+512"]
    for mode in modes:
        sA, yA, _ = evaluate(ea, sp["A"], rule, mode, stats)
        thr[mode] = (threshold_at_far(sA[~yA], 0.001), threshold_at_far(sA[~yA], 0.01))
        tarA, _t = tar_at_far(sA[yA], sA[~yA], 0.001)
        print(f"half A {mode}: TAR@1e-3 {tarA:.2%}, thr {thr[mode][0]:.4f} (1e-2: {thr[mode][1]:.4f})")
    if "e512" in stats:
        # the band: from the 128+192 reject point to a little above its accept point (on half A)
        stats["band"] = (thr["128+192"][1], thr["128+192"][0] + 0.08)
        sA, yA, _ = evaluate(ea, sp["A"], rule, "128+192+512band", stats)
        thr["128+192+512band"] = (threshold_at_far(sA[~yA], 0.001), threshold_at_far(sA[~yA], 0.01))
        inband = np.mean([stats["band"][0] <= x < stats["band"][1] for x in sA[yA]])
        tarA, _t = tar_at_far(sA[yA], sA[~yA], 0.001)
        print(f"half A 128+192+512band {stats['band']}: TAR@1e-3 {tarA:.2%}, genuine in band {inband:.1%}")
        modes.append("128+192+512band")
    for mode in modes:
        for name, (d, part) in data.items():
            if "512" in mode and name != "eastasia":
                continue
            sB, yB, _ = evaluate(d, part["B"], rule, mode, stats)
            line(f"{name} B {mode} @A-thr", sB, yB, thr[mode][0])
    # duplicate: above every different-person pair of half A (all photo pairs, 128-d, subject face)
    ids = [n.split("/")[0] for n in ea.names]
    for part in ("A", "B"):
        rows, owners = [], []
        for i in range(len(ea.names)):
            c = choose(ea, i, rule)
            if half(ids[i]) == part and not isinstance(c, str):
                rows.append(c)
                owners.append(ids[i])
        emb = ea.emb["e128"][rows]
        o = np.array(owners)
        sims = emb @ emb.T
        upper = np.triu(np.ones(sims.shape, bool), 1)
        imp, gen = sims[upper & (o[:, None] != o[None, :])], sims[upper & (o[:, None] == o[None, :])]
        if part == "A":
            duplicate = float(np.ceil((imp.max() + 0.02) * 100) / 100)
        print(
            f"duplicate, half {part}: {imp.size} different-person pairs, max {imp.max():.3f}; at {duplicate:.2f}: "
            f"{(imp >= duplicate).sum()} impostor pairs, same-person pairs found {(gen >= duplicate).mean():.1%}"
        )
    entry = {
        "accept": round(thr["128+192"][0], 4),
        "reject": round(thr["128+192"][1], 4),
        "accept_primary_only": round(thr["128"][0], 4),
        "duplicate": duplicate,
        "z_primary_mean": round(stats["e128"][0], 5),
        "z_primary_sd": round(stats["e128"][1], 5),
        "z_fusion_mean": round(stats["e192"][0], 5),
        "z_fusion_sd": round(stats["e192"][1], 5),
    }
    print("thresholds entry (128 + 192 flip-averaged):", entry)


if __name__ == "__main__":
    write_splits() if "--write-splits" in sys.argv else main()
