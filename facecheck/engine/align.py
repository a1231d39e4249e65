"""ArcFace 5-point alignment without skimage's deprecated ``SimilarityTransform.estimate``.

Same reference points and the same least-squares similarity (Umeyama 1991) as insightface's
``face_align.norm_crop``; large faces are first shrunk with area interpolation, because a
bilinear warp that shrinks a 400 px face to 112 px aliases and costs recognition accuracy.
"""

from __future__ import annotations

import cv2
import numpy as np

ARCFACE_DST = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """2x3 matrix of the least-squares similarity mapping ``src`` points onto ``dst`` (Umeyama)."""
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    n = src.shape[0]
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    cov = dst_c.T @ src_c / n
    u, s, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(cov) < 0:
        d[-1] = -1
    rot = u @ np.diag(d) @ vt
    var_src = (src_c**2).sum() / n
    scale = (s * d).sum() / var_src if var_src > 0 else 1.0
    matrix = np.zeros((2, 3))
    matrix[:, :2] = scale * rot
    matrix[:, 2] = dst_mean - scale * rot @ src_mean
    return matrix


def norm_crop(bgr: np.ndarray, kps: np.ndarray, size: int = 112) -> np.ndarray:
    """Aligned ``size`` x ``size`` face crop for an ArcFace-style recogniser."""
    kps = np.asarray(kps, dtype=np.float64)
    dst = ARCFACE_DST * (size / 112.0)
    # A face larger than twice the crop's resolution is first shrunk to exactly twice that (the warp
    # then halves it): an integer area reduction (OpenCV's fast path: 0.1 ms, against 2 ms for a
    # fractional area resize of a 500 px region) followed by a bilinear step of less than 2x.
    wanted = 2.0 * float(np.linalg.norm(dst[1] - dst[0]))
    eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
    if eye_distance > wanted:
        # Cut the face region (the crop spans ~3.2 eye distances), sized to a multiple of the factor.
        factor = int(eye_distance // wanted)
        h, w = bgr.shape[:2]
        cx, cy = kps.mean(axis=0)
        r = 3.5 * eye_distance
        x0, y0 = max(0, int(cx - r)), max(0, int(cy - r))
        x1, y1 = min(w, int(cx + r) + 1), min(h, int(cy + r) + 1)
        x1, y1 = x0 + (x1 - x0) // factor * factor, y0 + (y1 - y0) // factor * factor
        if x1 - x0 >= 2 * factor and y1 - y0 >= 2 * factor:
            bgr, kps = bgr[y0:y1, x0:x1], kps - np.array([x0, y0])
            if factor >= 2:
                bgr = cv2.resize(bgr, ((x1 - x0) // factor, (y1 - y0) // factor), interpolation=cv2.INTER_AREA)
                kps = _rescaled(kps, 1.0 / factor, 1.0 / factor)
            scale = wanted * factor / eye_distance
            if scale < 1.0:
                new_w, new_h = max(1, round(bgr.shape[1] * scale)), max(1, round(bgr.shape[0] * scale))
                kps = _rescaled(kps, new_w / bgr.shape[1], new_h / bgr.shape[0])
                bgr = cv2.resize(bgr, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    matrix = similarity_transform(kps, dst)
    return cv2.warpAffine(bgr, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0.0)


def _rescaled(kps: np.ndarray, sx: float, sy: float) -> np.ndarray:
    """Landmarks after resizing by (sx, sy): OpenCV maps pixel centres, x' = (x + 0.5) * s - 0.5."""
    return (kps + 0.5) * np.array([sx, sy]) - 0.5
