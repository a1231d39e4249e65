"""Engine configuration: plain values, read from Django settings when they are configured.

The engine does not touch the ORM, so benchmarks and the evaluation can build a config directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class QualityLimits:
    """Gate limits. Each was set so that (almost) no usable photo in the calibration sets fails it.

    See docs/facecheck.md for the measured rates; the gates are there to give an actionable hint,
    not to tune the error rates.
    """

    # Eye-centre to mouth-centre distance in pixels of the decoded image (41 px in the 112 px crop).
    min_face_size: float = 20.0
    # The subject of a photo with several faces: each face scores its box area times a centrality weight
    # exp(-(dx^2 + dy^2) / sigma^2) (dx, dy: offset of the box centre from the photo centre, as a fraction
    # of width and height). The best-scoring face is the subject; the photo is refused (face_multiple)
    # only when the runner-up scores at least ``subject_margin`` of the subject's, i.e. when two faces
    # could each be the subject. Calibrated in bench/face_verify/calibrate.py (docs/facecheck.md).
    subject_centre_sigma: float = 0.5
    subject_margin: float = 0.7
    # Mean luma (0-255) of the aligned face crop.
    min_brightness: float = 40.0
    max_brightness: float = 225.0
    # Share of the face crop that is blown out (luma >= 250).
    max_overexposed: float = 0.35
    # Variance of the Laplacian over the variance of the grey levels (x100) of the 112 px face crop.
    min_sharpness: float = 2.0
    # Head pose estimated from the 5 landmarks, in degrees.
    max_yaw: float = 45.0
    max_pitch: float = 30.0
    # Landmarks further than this fraction of the eye distance outside the image mean a cut-off face.
    cut_off_margin: float = 0.0


@dataclass(frozen=True)
class EngineConfig:
    model_dir: Path
    # Optional detector file that replaces the pack's detector (e.g. SCRFD-2.5GF).
    detector_file: Path | None = None
    # Optional second recogniser, used only to settle scores in the review band.
    second_recognizer_file: Path | None = None
    # Optional fusion recogniser, run on every request: its cosine is fused with the primary's
    # (mean of z-normalised cosines, statistics in the thresholds entry).
    fusion_recognizer_file: Path | None = None
    fusion_flip_average: bool = True
    det_size: int = 640
    det_thresh: float = 0.5
    # If nothing is found, retry once on a padded copy (faces that fill the frame) with this threshold.
    retry_det_thresh: float = 0.35
    flip_average: bool = True
    # False only for diagnostics (facecheck_eval --no-quality-gates): largest face, no gates.
    quality_gates: bool = True
    ort_threads: int = 0  # 0 = onnxruntime's default (one per core)
    max_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_decode_bytes: int = 256 * 1024 * 1024  # estimated peak memory of one decode (see decoding.py)
    work_side: int = 1600
    quality: QualityLimits = field(default_factory=QualityLimits)
    # {model name or model id: {"accept": .., "reject": .., "duplicate": .., "replay": ..}}
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, **overrides: Any) -> EngineConfig:
        from django.conf import settings

        def opt_path(value: Any) -> Path | None:
            return Path(os.path.expanduser(str(value))) if value else None

        quality = QualityLimits(**settings.FACECHECK_QUALITY)
        values: dict[str, Any] = {
            "model_dir": Path(os.path.expanduser(str(settings.FACECHECK_MODEL_DIR))),
            "detector_file": opt_path(settings.FACECHECK_DETECTOR_FILE),
            "second_recognizer_file": opt_path(settings.FACECHECK_SECOND_RECOGNIZER_FILE),
            "fusion_recognizer_file": opt_path(getattr(settings, "FACECHECK_FUSION_RECOGNIZER_FILE", "")),
            "quality": quality,
            "thresholds": dict(settings.FACECHECK_THRESHOLDS),
        }
        simple = {
            "det_size": "FACECHECK_DET_SIZE",
            "det_thresh": "FACECHECK_DET_THRESH",
            "flip_average": "FACECHECK_FLIP_AVERAGE",
            "fusion_flip_average": "FACECHECK_FUSION_FLIP_AVERAGE",
            "ort_threads": "FACECHECK_ORT_THREADS",
            "max_bytes": "FACECHECK_MAX_UPLOAD_BYTES",
            "max_pixels": "FACECHECK_MAX_PIXELS",
            "max_decode_bytes": "FACECHECK_MAX_DECODE_BYTES",
        }
        for attr, setting in simple.items():
            if hasattr(settings, setting):
                values[attr] = getattr(settings, setting)
        values.update(overrides)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def with_changes(self, **changes: Any) -> EngineConfig:
        return replace(self, **changes)
