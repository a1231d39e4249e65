"""Scores and the accept / review / reject decision, with thresholds kept per model.

Thresholds live in ``FACECHECK_THRESHOLDS``, keyed by the recogniser (``name@sha16``, the full
sha256 or the file name); when a second recogniser is configured the key is ``primary+second``,
because fused scores sit on their own scale. Each entry holds:

- ``accept``: decision score at or above it certifies (chosen for FAR <= 0.1 % on East-Asian pairs);
- ``reject``: below it the attempt is refused; in between a member of staff reviews it;
- ``replay``: a primary cosine at or above it is implausibly close to the reference for a new
  photo (a re-submitted or re-photographed picture): sent to review;
- ``duplicate``: primary cosine at or above it between templates of two pensioners opens a
  duplicate-face case (stricter than ``accept``);
- optional ``fusion_low``/``fusion_high``: primary-cosine band in which the second recogniser is
  asked and the mean of both cosines is used instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .loader import FaceModelConfigError, ModelFile

ACCEPT = "accept"
REVIEW = "review"
REJECT = "reject"

REQUIRED = ("accept", "reject", "duplicate", "replay")


def _keys(model: ModelFile) -> tuple[str, ...]:
    return (model.model_id, model.sha256, model.name)


def thresholds_for(
    table: dict[str, dict[str, float]], model: ModelFile, second: ModelFile | None = None
) -> dict[str, float]:
    """The entry for this recogniser (pair); a configuration error if the model was never calibrated."""
    candidates = [f"{a}+{b}" for a in _keys(model) for b in _keys(second)] if second is not None else list(_keys(model))
    for key in candidates:
        if key in table:
            values = {k: float(v) for k, v in table[key].items()}
            missing = [k for k in REQUIRED if k not in values]
            if missing:
                raise FaceModelConfigError(f"FACECHECK_THRESHOLDS[{key!r}] lacks {', '.join(missing)}.")
            if not values["reject"] <= values["accept"] < values["replay"]:
                raise FaceModelConfigError(f"FACECHECK_THRESHOLDS[{key!r}] must satisfy reject <= accept < replay.")
            if ("fusion_low" in values) != ("fusion_high" in values):
                raise FaceModelConfigError(f"FACECHECK_THRESHOLDS[{key!r}] needs both fusion_low and fusion_high.")
            return values
    label = model.model_id + (f"+{second.model_id}" if second is not None else "")
    raise FaceModelConfigError(
        f"No FACECHECK_THRESHOLDS entry for {label}: calibrate it with `manage.py facecheck_eval` and add one "
        f"(tried keys: {', '.join(candidates)}). Scores of different models are not comparable."
    )


@dataclass(frozen=True)
class Score:
    score: float  # what the decision uses
    primary: float  # plain cosine of the primary recogniser
    second: float | None = None  # cosine of the second recogniser, when it was asked


def score_pair(
    primary: float, *, thresholds: dict[str, float] | None, second: Callable[[], float] | None = None
) -> Score:
    """Fuse with the second recogniser only inside the configured band (it is ~15x slower).

    Inside the band a plain cosine is not on the fused scale the thresholds were set for, so when no
    second opinion exists for the pair (a template stored without one, such as an ageing template),
    the score is held just below ``accept``: that pair can send the attempt to review, never certify.
    """
    if not thresholds or "fusion_low" not in thresholds:
        return Score(primary, primary)
    if not thresholds["fusion_low"] <= primary < thresholds["fusion_high"]:
        return Score(primary, primary)
    if second is None:
        return Score(min(primary, float(np.nextafter(thresholds["accept"], -np.inf))), primary)
    other = second()
    return Score((primary + other) / 2.0, primary, other)


def cosine_scores(probe: np.ndarray, templates: np.ndarray) -> np.ndarray:
    """Cosine similarity of one normalised probe against N normalised templates (N x d)."""
    templates = np.asarray(templates, dtype=np.float32).reshape(-1, probe.shape[-1])
    return templates @ probe.astype(np.float32)


@dataclass(frozen=True)
class Decision:
    outcome: str  # accept | review | reject
    score: Score
    reason: str = ""  # why review: "grey_zone", "implausibly_similar"


def decide(score: Score, thresholds: dict[str, float]) -> Decision:
    """Map a score to an outcome. Replay check first: a near-copy of the reference is never accepted."""
    if score.primary >= thresholds["replay"]:
        return Decision(REVIEW, score, "implausibly_similar")
    if score.score >= thresholds["accept"]:
        return Decision(ACCEPT, score)
    if score.score < thresholds["reject"]:
        return Decision(REJECT, score)
    return Decision(REVIEW, score, "grey_zone")
