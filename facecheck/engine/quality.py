"""Quality figures of one detected face, and the gates that turn them into retry hints.

Pose comes from the 5 SCRFD landmarks only (no extra model): the nose tip sits in front of the
eye/mouth plane, so its offset from the centre of the other four points grows with the tangent of
the head rotation. The depth ratios below are anthropometric approximations; the angle is an
estimate good enough to tell "facing the camera" from "turned away", not a measurement.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import cv2
import numpy as np

from . import errors
from .config import QualityLimits

# Nose-tip depth in front of the eyes, relative to half the inter-ocular distance (yaw model) and
# to the eye-to-mouth height (pitch model), and where the nose sits between the eye line and the
# mouth line (0..1) for a frontal face. Fitted by eye on calibration photos whose pose was judged
# visually (about 20, 35, 50 and 60 degrees of yaw); SCRFD puts the nose lower than the ArcFace
# template does, hence 0.56 (the median over the East-Asian set) rather than the template's 0.49.
_YAW_DEPTH = 1.6
_PITCH_DEPTH = 0.8
_FRONTAL_NOSE_T = 0.56


@dataclass(frozen=True)
class FaceQuality:
    det_score: float
    eye_distance: float  # pixels in the decoded image
    face_size: float  # eye-centre to mouth-centre distance in pixels: barely changes with yaw
    face_width: float
    yaw: float  # degrees, sign = direction
    pitch: float
    roll: float
    brightness: float  # mean luma of the aligned face, 0-255
    overexposed: float  # share of face pixels at >= 250
    sharpness: float  # variance of the Laplacian of the aligned grey face
    faces_found: int

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in asdict(self).items()}


def pose_from_landmarks(kps: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from 5 points: right eye, left eye, nose, right mouth, left mouth."""
    kps = np.asarray(kps, dtype=np.float64)
    eye_l, eye_r, nose, mouth_l, mouth_r = kps
    eye_vec = eye_r - eye_l
    roll = math.degrees(math.atan2(eye_vec[1], eye_vec[0]))
    # Undo roll so that x runs along the eye line.
    c, s = math.cos(math.radians(-roll)), math.sin(math.radians(-roll))
    rot = np.array([[c, -s], [s, c]])
    pts = (kps - kps[:2].mean(axis=0)) @ rot.T
    eye_l, eye_r, nose, mouth_l, mouth_r = pts
    half_eye = max(abs(eye_r[0] - eye_l[0]) / 2.0, 1e-6)
    centre_x = (eye_l[0] + eye_r[0] + mouth_l[0] + mouth_r[0]) / 4.0
    yaw = math.degrees(math.atan2((nose[0] - centre_x) / half_eye, _YAW_DEPTH))
    eye_y = (eye_l[1] + eye_r[1]) / 2.0
    mouth_y = (mouth_l[1] + mouth_r[1]) / 2.0
    height = mouth_y - eye_y
    if height <= 1e-6:  # mouth above the eyes: upside down or garbage landmarks
        return yaw, 90.0, roll
    t = (nose[1] - eye_y) / height
    pitch = math.degrees(math.atan2(_FRONTAL_NOSE_T - t, _PITCH_DEPTH))
    return yaw, pitch, roll


def photometric(aligned_bgr: np.ndarray) -> tuple[float, float, float]:
    """(brightness, overexposed share, sharpness) on the central part of the aligned crop.

    Sharpness is the variance of the Laplacian divided by the variance of the grey levels, x100:
    dividing out contrast keeps a dim but sharp photo from looking blurred.
    """
    size = aligned_bgr.shape[0]
    grey = cv2.cvtColor(aligned_bgr, cv2.COLOR_BGR2GRAY)
    if size != 112:  # the figures must not depend on the recogniser's crop size
        grey = cv2.resize(grey, (112, 112), interpolation=cv2.INTER_AREA)
    centre = grey[14:98, 14:98]  # skip the borders, which may be black fill from the warp
    brightness = float(centre.mean())
    overexposed = float((centre >= 250).mean())
    contrast = float(centre.astype(np.float64).var())
    laplacian = float(cv2.Laplacian(centre, cv2.CV_64F).var())
    sharpness = 100.0 * laplacian / max(contrast, 1.0)
    return brightness, overexposed, sharpness


def check_gates(quality: FaceQuality, limits: QualityLimits) -> str | None:
    """The first failing gate's error code, or None.

    Pose comes first: a face turned sideways also looks small and narrow, and "look at the camera"
    is the hint that helps then.
    """
    if abs(quality.yaw) > limits.max_yaw or abs(quality.pitch) > limits.max_pitch:
        return errors.FACE_POSE
    if quality.face_size < limits.min_face_size:
        return errors.FACE_TOO_SMALL
    if quality.brightness < limits.min_brightness:
        return errors.FACE_TOO_DARK
    if quality.brightness > limits.max_brightness or quality.overexposed > limits.max_overexposed:
        return errors.FACE_TOO_BRIGHT
    if quality.sharpness < limits.min_sharpness:
        return errors.FACE_BLURRED
    return None
