"""Verification metrics for labelled pairs: TAR at fixed FAR, EER, and the threshold for a FAR.

A pair whose image failed the pipeline (no face, refused by a quality gate) gets score ``FAILED``,
below every threshold: it counts as a rejection (a false reject for a genuine pair, a correct
reject for an impostor pair), never as a skipped pair.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FAILED = -2.0


@dataclass(frozen=True)
class Pair:
    left: str
    right: str
    same: bool


def read_pairs(path: Path) -> list[Pair]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"left", "right", "same"} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(f"{path} lacks column(s) {', '.join(sorted(missing))}; expected left,right,same")
        pairs = []
        for line, row in enumerate(reader, start=2):
            same = row["same"].strip()
            if same not in ("0", "1"):
                raise ValueError(f"{path}:{line}: same must be 0 or 1, got {same!r}")
            pairs.append(Pair(row["left"].strip(), row["right"].strip(), same == "1"))
    return pairs


def threshold_at_far(impostor: np.ndarray, far: float) -> float:
    """Smallest threshold (score >= threshold accepts) whose false-accept rate is at most ``far``."""
    impostor = np.sort(np.asarray(impostor, dtype=np.float64))[::-1]
    if impostor.size == 0:
        return float("nan")
    allowed = int(np.floor(far * impostor.size + 1e-9))
    if allowed >= impostor.size:
        return float(impostor[-1])
    return float(np.nextafter(impostor[allowed], np.inf))


def tar_at_far(genuine: np.ndarray, impostor: np.ndarray, far: float) -> tuple[float, float]:
    """(TAR, threshold) at the given FAR."""
    threshold = threshold_at_far(impostor, far)
    genuine = np.asarray(genuine, dtype=np.float64)
    tar = float((genuine >= threshold).mean()) if genuine.size else float("nan")
    return tar, threshold


def equal_error_rate(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Rate where false accepts equal false rejects, linearly interpolated between thresholds."""
    genuine = np.asarray(genuine, dtype=np.float64)
    impostor = np.asarray(impostor, dtype=np.float64)
    if genuine.size == 0 or impostor.size == 0:
        return float("nan")
    thresholds = np.unique(np.concatenate([genuine, impostor, [np.inf]]))
    g_sorted, i_sorted = np.sort(genuine), np.sort(impostor)
    frr = np.searchsorted(g_sorted, thresholds, side="left") / genuine.size  # genuine < t
    far = 1.0 - np.searchsorted(i_sorted, thresholds, side="left") / impostor.size  # impostor >= t
    diff = far - frr  # decreasing in t
    idx = int(np.argmax(diff <= 0))
    if idx == 0:
        return float((far[0] + frr[0]) / 2)
    d0, d1 = diff[idx - 1], diff[idx]
    w = d0 / (d0 - d1) if d0 != d1 else 0.5
    return float((far[idx - 1] + w * (far[idx] - far[idx - 1]) + frr[idx - 1] + w * (frr[idx] - frr[idx - 1])) / 2)


@dataclass(frozen=True)
class Report:
    pairs: int
    failed_to_enroll: int
    tar_far_1e2: float
    tar_far_1e3: float
    eer: float
    threshold_far_1e3: float

    def lines(self) -> list[str]:
        return [
            f"pairs: {self.pairs}",
            f"failed_to_enroll: {self.failed_to_enroll}",
            f"TAR@FAR=0.01: {self.tar_far_1e2:.4f}",
            f"TAR@FAR=0.001: {self.tar_far_1e3:.4f}",
            f"EER: {self.eer:.4f}",
            f"threshold@FAR=0.001: {self.threshold_far_1e3:.4f}",
        ]


def report(scores: np.ndarray, same: np.ndarray, *, failed_to_enroll: int) -> Report:
    scores = np.asarray(scores, dtype=np.float64)
    same = np.asarray(same, dtype=bool)
    genuine, impostor = scores[same], scores[~same]
    tar2, _ = tar_at_far(genuine, impostor, 0.01)
    tar3, thr3 = tar_at_far(genuine, impostor, 0.001)
    return Report(
        pairs=int(scores.size),
        failed_to_enroll=failed_to_enroll,
        tar_far_1e2=tar2,
        tar_far_1e3=tar3,
        eer=equal_error_rate(genuine, impostor),
        threshold_far_1e3=thr3,
    )


@dataclass
class EvalResult:
    report: Report
    scores: list[tuple[float, float, float | None]]  # (decision score, primary cosine, second cosine)
    failures: dict[str, str]  # image -> error code


def evaluate_pairs(engine: Any, pairs: list[Pair], images: Path, *, progress: Any = None) -> EvalResult:
    """Embed each distinct image once through ``engine.analyze_bytes`` and score every pair."""
    from .errors import FaceImageError

    names = sorted({p.left for p in pairs} | {p.right for p in pairs})
    missing = [name for name in names if not (images / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{len(missing)} image(s) not found under {images}, e.g. {missing[:3]}")
    faces: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for done, name in enumerate(names, start=1):
        try:
            face = engine.analyze_bytes((images / name).read_bytes())
            face.source_bgr = None  # only the embedding (and crop, for the second model) is needed
            faces[name] = face
        except FaceImageError as exc:
            failures[name] = exc.code
        if progress is not None:
            progress(done, len(names), len(failures))
    scored: list[tuple[float, float, float | None]] = []
    for pair in pairs:
        left, right = faces.get(pair.left), faces.get(pair.right)
        if left is None or right is None:
            scored.append((FAILED, FAILED, None))
            continue
        score = engine.score(left, right)
        scored.append((score.score, score.primary, score.second))
    values = np.array([s[0] for s in scored])
    same = np.array([p.same for p in pairs])
    return EvalResult(report(values, same, failed_to_enroll=len(failures)), scored, failures)
