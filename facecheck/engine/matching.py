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

With a fusion recogniser (run on every request) the key is ``primary+fusion`` (``primary+fusion+second``
when the band model is configured too) and the entry also holds the z-normalisation statistics
``z_primary_mean``/``z_primary_sd`` and ``z_fusion_mean``/``z_fusion_sd`` (impostor cosines of the
calibration half): the fused score is the mean of the z-normalised cosines mapped back onto the primary's
cosine scale, ``z_primary_mean + z_primary_sd * mean(z)``. ``accept_primary_only`` is the primary-alone
``accept`` calibrated at the same false-accept rate; a template stored without the fusion embedding is
scored on the primary cosine shifted so that it certifies only at or above that value (without the key it
can never certify).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from .loader import FaceModelConfigError, ModelFile

ACCEPT = "accept"
REVIEW = "review"
REJECT = "reject"

REQUIRED = ("accept", "reject", "duplicate", "replay")
FUSION_REQUIRED = ("z_primary_mean", "z_primary_sd", "z_fusion_mean", "z_fusion_sd")


def duplicate_threshold_for(thresholds: Mapping[str, float], gallery_size: int, false_matches: float) -> float:
    """The duplicate threshold for one search over ``gallery_size`` templates of other people.

    The calibrated ``duplicate`` is a 1:1 figure; one search compares a face with every template, so its
    chance of a stranger above a fixed threshold grows with the gallery (real East-Asian impostor tail:
    ~0.01 false matches per search at 0.62 for 10,000 templates, ~1 at 1,000,000; docs/facecheck.md).
    This raises it to where ``gallery_size`` x P(impostor primary cosine >= t) <= ``false_matches``, the
    impostor cosines modelled as a Gaussian with the calibration half's ``z_primary_mean``/``_sd`` (the
    model that matched the held-out half's exceedance best, within 1.4x at 0.56-0.60). Never below
    ``duplicate``; unchanged without those statistics or with ``false_matches`` 0.
    """
    base = float(thresholds["duplicate"])
    if false_matches <= 0 or gallery_size <= 0 or "z_primary_sd" not in thresholds:
        return base
    per_pair = min(false_matches / gallery_size, 0.5)
    scaled = thresholds["z_primary_mean"] + thresholds["z_primary_sd"] * NormalDist().inv_cdf(1.0 - per_pair)
    return max(base, float(scaled))


def _keys(model: ModelFile) -> tuple[str, ...]:
    return (model.model_id, model.sha256, model.name)


def thresholds_for(
    table: dict[str, dict[str, float]],
    model: ModelFile,
    second: ModelFile | None = None,
    fusion: ModelFile | None = None,
) -> dict[str, float]:
    """The entry for this recogniser (set); a configuration error if the models were never calibrated."""
    candidates = list(_keys(model))
    for extra in (fusion, second):
        if extra is not None:
            candidates = [f"{a}+{b}" for a in candidates for b in _keys(extra)]
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
            if fusion is not None:
                missing = [k for k in FUSION_REQUIRED if k not in values]
                if missing:
                    raise FaceModelConfigError(f"FACECHECK_THRESHOLDS[{key!r}] lacks {', '.join(missing)}.")
            return values
    label = "+".join(m.model_id for m in (model, fusion, second) if m is not None)
    raise FaceModelConfigError(
        f"No FACECHECK_THRESHOLDS entry for {label}: calibrate it with `manage.py facecheck_eval` and add one "
        f"(tried keys: {', '.join(candidates)}). Scores of different models are not comparable."
    )


@dataclass(frozen=True)
class Score:
    score: float  # what the decision uses
    primary: float  # plain cosine of the primary recogniser
    second: float | None = None  # cosine of the second recogniser, when it was asked
    fusion: float | None = None  # cosine of the fusion recogniser, when both sides have its embedding


def _z(value: float, thresholds: dict[str, float], role: str) -> float:
    return (value - thresholds[f"z_{role}_mean"]) / thresholds[f"z_{role}_sd"]


def _below_accept(value: float, thresholds: dict[str, float]) -> float:
    return min(value, float(np.nextafter(thresholds["accept"], -np.inf)))


def score_pair(
    primary: float,
    *,
    thresholds: dict[str, float] | None,
    second: Callable[[], float] | None = None,
    fusion: float | None = None,
) -> Score:
    """The decision score of one pair.

    With a fusion entry (``z_fusion_mean`` in the thresholds) the score is the z-fused mean of the
    primary and fusion cosines on the primary's scale. A pair without a fusion cosine (a template stored
    before the fusion model came) is not on that scale: it certifies only if the primary cosine reaches
    ``accept_primary_only`` (calibrated at the same false-accept rate), otherwise it can send the attempt
    to review but never certify.

    The second recogniser is asked only inside the configured band (it is ~15x slower). Inside the band
    a score without a second opinion is held just below ``accept`` likewise.
    """
    if not thresholds:
        return Score(primary, primary)
    fused_entry = "z_fusion_mean" in thresholds
    if fused_entry and fusion is None:
        if "accept_primary_only" in thresholds:
            shifted = primary - thresholds["accept_primary_only"] + thresholds["accept"]
            return Score(shifted, primary)
        return Score(_below_accept(primary, thresholds), primary)
    zs = (
        [_z(primary, thresholds, "primary"), _z(fusion, thresholds, "fusion")]
        if fused_entry and fusion is not None
        else []
    )
    base = thresholds["z_primary_mean"] + thresholds["z_primary_sd"] * float(np.mean(zs)) if zs else primary
    if "fusion_low" not in thresholds or not thresholds["fusion_low"] <= base < thresholds["fusion_high"]:
        return Score(base, primary, None, fusion)
    if second is None:
        return Score(_below_accept(base, thresholds), primary, None, fusion)
    other = second()
    if zs and "z_second_mean" in thresholds:
        zs.append(_z(other, thresholds, "second"))
        return Score(
            thresholds["z_primary_mean"] + thresholds["z_primary_sd"] * float(np.mean(zs)), primary, other, fusion
        )
    return Score((base + other) / 2.0, primary, other, fusion)


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
