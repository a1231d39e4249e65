"""Scores and decisions on the fused scale (no models needed: numbers in, decisions out)."""

from __future__ import annotations

from facecheck.engine.matching import ACCEPT, REVIEW, decide, score_pair

FUSED = {"accept": 0.45, "reject": 0.36, "replay": 0.95, "duplicate": 0.65, "fusion_low": 0.36, "fusion_high": 0.55}
PRIMARY_ONLY = {"accept": 0.47, "reject": 0.36, "replay": 0.95, "duplicate": 0.65}


def test_inside_the_band_the_two_cosines_are_averaged():
    score = score_pair(0.50, thresholds=FUSED, second=lambda: 0.30)
    assert (score.score, score.primary, score.second) == (0.40, 0.50, 0.30)


def test_a_plain_cosine_inside_the_band_never_certifies():
    """A template stored without a second-model embedding (an ageing selfie) can only send to review."""
    score = score_pair(0.54, thresholds=FUSED, second=None)
    assert score.score < FUSED["accept"] and score.primary == 0.54
    assert decide(score, FUSED).outcome == REVIEW


def test_above_the_band_the_primary_cosine_decides_alone():
    score = score_pair(0.60, thresholds=FUSED, second=None)
    assert score.score == 0.60 and decide(score, FUSED).outcome == ACCEPT


def test_without_a_fusion_band_the_primary_cosine_is_the_score():
    score = score_pair(0.50, thresholds=PRIMARY_ONLY, second=lambda: 0.0)
    assert score.score == 0.50 and score.second is None
