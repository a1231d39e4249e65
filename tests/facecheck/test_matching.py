"""Scores and decisions on the fused scale (no models needed: numbers in, decisions out)."""

from __future__ import annotations

from facecheck.engine.matching import ACCEPT, REVIEW, decide, duplicate_threshold_for, score_pair

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


# -- fusion recogniser on every request (z-fused mean on the primary's scale) -----------------------
Z = {"z_primary_mean": 0.0, "z_primary_sd": 0.1, "z_fusion_mean": 0.1, "z_fusion_sd": 0.2}
ALWAYS = {"accept": 0.40, "reject": 0.30, "replay": 0.95, "duplicate": 0.6, **Z}


def test_fused_score_is_the_mean_of_z_scores_on_the_primary_scale():
    score = score_pair(0.40, thresholds=ALWAYS, fusion=0.50)  # z 4.0 and 2.0 -> mean 3.0 -> 0.30
    assert abs(score.score - 0.30) < 1e-9 and score.fusion == 0.50 and score.primary == 0.40


def test_template_without_fusion_embedding_certifies_only_at_the_primary_only_accept():
    thresholds = {**ALWAYS, "accept_primary_only": 0.47}
    assert decide(score_pair(0.46, thresholds=thresholds, fusion=None), thresholds).outcome == REVIEW
    assert decide(score_pair(0.47, thresholds=thresholds, fusion=None), thresholds).outcome == ACCEPT


def test_template_without_fusion_embedding_never_certifies_without_a_primary_only_accept():
    score = score_pair(0.90, thresholds=ALWAYS, fusion=None)
    assert score.score < ALWAYS["accept"] and decide(score, ALWAYS).outcome == REVIEW


# -- the duplicate threshold for a gallery ----------------------------------------------------------
IMPOSTORS = {"duplicate": 0.62, "z_primary_mean": 0.06, "z_primary_sd": 0.13}


def test_a_small_gallery_keeps_the_calibrated_duplicate_threshold():
    assert duplicate_threshold_for(IMPOSTORS, 100, 0.01) == 0.62


def test_the_duplicate_threshold_rises_with_the_gallery():
    ten_thousand = duplicate_threshold_for(IMPOSTORS, 10_000, 0.01)
    ten_million = duplicate_threshold_for(IMPOSTORS, 10_000_000, 0.01)
    assert 0.62 < ten_thousand < ten_million < 1.0
    # the Gaussian tail at 1e-6 per pair: mean + 4.753 sd
    assert abs(ten_thousand - (0.06 + 0.13 * 4.7534)) < 1e-3


def test_without_impostor_statistics_the_calibrated_threshold_stays():
    assert duplicate_threshold_for({"duplicate": 0.62}, 10_000_000, 0.01) == 0.62


def test_no_false_match_budget_keeps_the_calibrated_threshold():
    assert duplicate_threshold_for(IMPOSTORS, 10_000_000, 0.0) == 0.62
