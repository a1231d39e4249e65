"""TAR@FAR, EER and thresholds on hand-computable score sets."""

from __future__ import annotations

import numpy as np
import pytest

from facecheck.engine import evaluation


def test_threshold_at_far_lets_through_at_most_that_share_of_impostors():
    impostor = np.linspace(0.0, 0.999, 1000)  # 1000 impostors, the best at 0.999
    threshold = evaluation.threshold_at_far(impostor, 0.001)
    assert (impostor >= threshold).sum() == 1
    threshold = evaluation.threshold_at_far(impostor, 0.01)
    assert (impostor >= threshold).sum() == 10


def test_tar_counts_genuine_scores_at_or_above_the_threshold():
    impostor = np.array([0.1] * 99 + [0.5])
    genuine = np.array([0.4, 0.6, 0.7, 0.8])
    tar, threshold = evaluation.tar_at_far(genuine, impostor, 0.01)
    assert 0.1 < threshold <= 0.5 and tar == 1.0
    tar, threshold = evaluation.tar_at_far(genuine, impostor, 0.001)
    assert threshold > 0.5 and tar == 0.75


def test_eer_of_separable_scores_is_zero_and_of_identical_ones_is_half():
    assert evaluation.equal_error_rate(np.array([0.9, 0.8]), np.array([0.1, 0.2])) == pytest.approx(0.0)
    assert evaluation.equal_error_rate(np.array([0.5] * 10), np.array([0.5] * 10)) == pytest.approx(0.5, abs=0.05)


def test_eer_with_overlap():
    genuine = np.array([0.2, 0.6, 0.7, 0.8])  # one of four genuine below 0.3
    impostor = np.array([0.1, 0.15, 0.25, 0.65])  # one of four impostors above 0.3
    assert evaluation.equal_error_rate(genuine, impostor) == pytest.approx(0.25)


def test_failed_images_count_as_rejections_not_skips():
    same = np.array([True, True, False, False])
    scores = np.array([0.9, evaluation.FAILED, 0.1, evaluation.FAILED])
    report = evaluation.report(scores, same, failed_to_enroll=2)
    assert report.pairs == 4
    assert report.tar_far_1e2 == 0.5


def test_report_prints_the_six_lines_in_order():
    report = evaluation.report(np.array([0.9, 0.1]), np.array([True, False]), failed_to_enroll=0)
    keys = [line.split(":")[0] for line in report.lines()]
    assert keys == ["pairs", "failed_to_enroll", "TAR@FAR=0.01", "TAR@FAR=0.001", "EER", "threshold@FAR=0.001"]


def test_pairs_csv_with_bad_label_is_refused(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text("left,right,same\na.jpg,b.jpg,yes\n")
    with pytest.raises(ValueError, match="same must be 0 or 1"):
        evaluation.read_pairs(path)
