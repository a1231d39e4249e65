"""Which face is the subject of a photo with several faces (no models needed)."""

from __future__ import annotations

import numpy as np
import pytest

from facecheck.engine import errors
from facecheck.engine.config import EngineConfig
from facecheck.engine.pipeline import Detection, FaceEngine


def _engine(**changes) -> FaceEngine:  # type: ignore[no-untyped-def]
    engine = object.__new__(FaceEngine)  # select_face needs the config only
    engine.config = EngineConfig(model_dir=None, **changes)  # type: ignore[arg-type]
    return engine


def _boxes(*boxes: tuple[float, float, float, float]) -> Detection:
    bboxes = np.array([[*b, 0.9] for b in boxes], dtype=np.float32)
    return Detection(bboxes, np.zeros((len(boxes), 5, 2), dtype=np.float32))


SHAPE = (480, 640, 3)


def test_one_face_is_the_subject():
    assert _engine().select_face(_boxes((200, 100, 400, 350)), SHAPE) == 0


def test_a_smaller_face_at_the_side_is_not_a_rival():
    # second face 0.6 of the subject's area (refused by the old 50 % area rule), off to the side
    detection = _boxes((500, 20, 620, 170), (220, 100, 420, 350))
    assert _engine().select_face(detection, SHAPE) == 1


def test_two_faces_that_could_each_be_the_subject_are_refused():
    detection = _boxes((100, 120, 300, 360), (340, 120, 540, 360))
    with pytest.raises(errors.FaceImageError) as caught:
        _engine().select_face(detection, SHAPE)
    assert caught.value.code == errors.FACE_MULTIPLE
    assert "两张差不多大的脸" in str(errors.MESSAGES[errors.FACE_MULTIPLE])  # the hint says why, plainly


def test_a_larger_face_in_the_corner_still_counts():
    # a face much larger than the central one wins even off centre: size dominates when clear
    detection = _boxes((0, 0, 330, 330), (300, 200, 380, 290))
    assert _engine().select_face(detection, SHAPE) == 0


def test_without_gates_the_largest_face_is_used():
    detection = _boxes((100, 120, 300, 360), (340, 120, 545, 365))
    assert _engine(quality_gates=False).select_face(detection, SHAPE) == 1
