"""The one pipeline used by enrollment, verification, re-embedding and the evaluation command.

decode -> detect (5 landmarks) -> choose the face / refuse several -> quality gates -> align
(ArcFace 5-point similarity transform) -> embed (flip-averaged) -> L2-normalise.
Fail closed: nothing without a detected face that passed the gates ever gets an embedding.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from . import errors
from .align import norm_crop
from .config import EngineConfig
from .decoding import DecodedImage, decode_image
from .loader import FaceModelConfigError, ModelPack
from .matching import Score, score_pair, thresholds_for
from .phash import phash64
from .quality import FaceQuality, check_gates, photometric, pose_from_landmarks


@dataclass
class FaceResult:
    """A usable face: embedding plus everything recorded with an attempt or a template."""

    embedding: np.ndarray  # float32, L2-normalised, model's own dimension
    model_id: str
    quality: FaceQuality
    bbox: np.ndarray
    kps: np.ndarray
    aligned: np.ndarray  # BGR crop the recogniser saw
    image_sha256: str = ""
    image_phash: int = 0
    face_phash: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    second_embedding: np.ndarray | None = None
    fusion_embedding: np.ndarray | None = None  # the fusion recogniser's, computed on every request
    source_bgr: np.ndarray | None = None  # the decoded photo, kept for storage by the caller

    def second(self, engine: FaceEngine) -> np.ndarray:
        """Second-opinion embedding, computed lazily: it is slow and only the review band needs it."""
        if self.second_embedding is None:
            self.second_embedding = engine.embed_second(self.aligned)
        return self.second_embedding


@dataclass
class Detection:
    bboxes: np.ndarray  # N x 5 (x1, y1, x2, y2, score)
    kpss: np.ndarray  # N x 5 x 2
    padded: bool = False


class FaceEngine:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self.pack = ModelPack(config)
        self._warm = threading.Event()

    # -- identity --------------------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        return self.pack.model_id

    @property
    def embedding_dim(self) -> int:
        return self.pack.embedding_dim

    def thresholds(self, table: dict[str, dict[str, float]] | None = None) -> dict[str, float]:
        """Thresholds for the loaded recogniser(s), from ``table`` or, by default, from settings.

        Read at decision time (not frozen at load) so a changed setting applies without reloading models.
        """
        if table is None:
            from django.conf import settings

            table = settings.FACECHECK_THRESHOLDS if settings.configured else None
            table = table if table is not None else self.config.thresholds
        return thresholds_for(table, self.pack.recognizer_file, self.pack.second_file, self.pack.fusion_file)

    # -- stages ----------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Run each session once so the first request does not pay for graph optimisation."""
        blank = np.full((480, 640, 3), 127, dtype=np.uint8)
        self.detect(blank)  # landscape and portrait phone photos: the two detector input shapes most seen
        self.detect(np.ascontiguousarray(blank.transpose(1, 0, 2)))
        crop = np.full((self.pack.crop_size, self.pack.crop_size, 3), 127, dtype=np.uint8)
        self.embed(crop)
        if self.pack.second is not None:
            self.embed_second(crop)
        if self.pack.fusion is not None:
            self.embed_fusion(crop)
        self._warm.set()

    def decode(self, data: bytes) -> DecodedImage:
        c = self.config
        return decode_image(
            data,
            max_bytes=c.max_bytes,
            max_pixels=c.max_pixels,
            work_side=c.work_side,
            max_decode_bytes=c.max_decode_bytes,
        )

    def detect(self, bgr: np.ndarray) -> Detection:
        """Detect at the configured size; if nothing is found, retry on a padded copy.

        Close-up photos (ID photos cropped tight, selfies at arm's length of a small face) put the face
        beyond the detector's largest anchors or cut its landmarks at the border; padding the image
        fixes most of those without lowering the threshold on normal photos.
        """
        detector = self.pack.detector
        bboxes, kpss = detector.detect(
            bgr, input_size=self.detector_input_size(bgr.shape), det_thresh=self.config.det_thresh
        )
        if len(bboxes):
            return Detection(bboxes, kpss)
        h, w = bgr.shape[:2]
        pad = int(0.25 * max(h, w))
        padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(127, 127, 127))
        bboxes, kpss = detector.detect(
            padded, input_size=self.detector_input_size(padded.shape), det_thresh=self.config.retry_det_thresh
        )
        if len(bboxes):
            bboxes = bboxes.copy()
            bboxes[:, :4] -= pad
            kpss = kpss - pad
        return Detection(bboxes, kpss, padded=True)

    def detector_input_size(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """(width, height) for the detector: longest side at ``det_size``, the other side rounded up to the
        network's stride instead of letterboxed to a square.

        The face is seen at exactly the same scale as in the square input; a 4:3 photo just skips the
        quarter of the input that would be black padding (detector 25 % faster). A detector exported
        with a fixed input size ignores this and uses its own.
        """
        side = self.config.det_size
        h, w = shape[:2]
        stride = 32
        if w >= h:
            return side, min(side, max(stride, math.ceil(h * side / w / stride) * stride))
        return min(side, max(stride, math.ceil(w * side / h / stride) * stride)), side

    def select_face(self, detection: Detection, image_shape: tuple[int, ...]) -> int:
        """Index of the subject's face: clearly the largest and most central one.

        A grandchild's photo of an old person, or a relative beside them helping with the phone, has a
        second face; that face is only a problem when it could just as well be the subject (similar size
        and as central), and then the photo is refused with a hint that says so.
        """
        if len(detection.bboxes) == 0:
            raise errors.FaceImageError(errors.FACE_NOT_FOUND)
        scores = subject_scores(detection.bboxes, image_shape, sigma=self.config.quality.subject_centre_sigma)
        order = np.argsort(-scores)
        best = int(order[0])
        if not self.config.quality_gates:  # diagnostics: the largest face, as before
            boxes = detection.bboxes
            return int(np.argmax((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))
        if len(order) > 1 and scores[order[1]] >= self.config.quality.subject_margin * scores[best]:
            raise errors.FaceImageError(errors.FACE_MULTIPLE, details={"faces": len(scores)})
        return best

    def align(self, bgr: np.ndarray, kps: np.ndarray) -> np.ndarray:
        return norm_crop(bgr, kps, self.pack.crop_size)

    def embed(self, aligned: np.ndarray) -> np.ndarray:
        rec = self.pack.recognizer
        feat = rec.get_feat(aligned).ravel().astype(np.float32)
        if self.config.flip_average:
            feat = feat / (np.linalg.norm(feat) + 1e-12)
            flipped = rec.get_feat(np.ascontiguousarray(aligned[:, ::-1])).ravel().astype(np.float32)
            feat = feat + flipped / (np.linalg.norm(flipped) + 1e-12)
        return normalise(feat)

    def embed_second(self, aligned: np.ndarray) -> np.ndarray:
        """Flip-averaged embedding of the second recogniser (only for scores in the fusion band)."""
        if self.pack.second is None:
            raise RuntimeError("no second recogniser configured")
        return _embed_other(self.pack.second, aligned, flip=True)

    def embed_fusion(self, aligned: np.ndarray) -> np.ndarray:
        """Embedding of the fusion recogniser (every request), flip-averaged unless configured off."""
        if self.pack.fusion is None:
            raise RuntimeError("no fusion recogniser configured")
        return _embed_other(self.pack.fusion, aligned, flip=self.config.fusion_flip_average)

    @property
    def fusion_model_id(self) -> str:
        return self.pack.fusion_file.model_id if self.pack.fusion_file is not None else ""

    # -- scoring ---------------------------------------------------------------------------------
    def score(self, probe: FaceResult, template: FaceResult) -> Score:
        """The score decisions are taken on: primary cosine, fused with the second model in the band."""
        fusion = None
        if probe.fusion_embedding is not None and template.fusion_embedding is not None:
            fusion = float(probe.fusion_embedding @ template.fusion_embedding)
        return score_pair(
            float(probe.embedding @ template.embedding),
            thresholds=self.thresholds_or_none(),
            second=(lambda: float(probe.second(self) @ template.second(self))) if self.pack.second else None,
            fusion=fusion,
        )

    def thresholds_or_none(self) -> dict[str, float] | None:
        try:
            return self.thresholds()
        except FaceModelConfigError:  # uncalibrated model: the evaluation still reports plain cosine
            return None

    # -- whole pipeline --------------------------------------------------------------------------
    def analyze_bytes(self, data: bytes) -> FaceResult:
        t0 = time.perf_counter()
        image = self.decode(data)
        t1 = time.perf_counter()
        result = self.analyze(image.bgr)
        result.image_sha256 = image.sha256
        result.image_phash = phash64(image.bgr)
        result.source_bgr = image.bgr
        result.timings["decode"] = t1 - t0
        return result

    def analyze(self, bgr: np.ndarray) -> FaceResult:
        """Detect, gate, align and embed the single face in ``bgr``; raises FaceImageError otherwise."""
        t0 = time.perf_counter()
        detection = self.detect(bgr)
        t1 = time.perf_counter()
        index = self.select_face(detection, bgr.shape)
        bbox = detection.bboxes[index]
        kps = detection.kpss[index]
        quality = self.measure(bgr, bbox, kps, faces_found=len(detection.bboxes))
        aligned = quality_aligned = self.align(bgr, kps)
        brightness, overexposed, sharpness = photometric(quality_aligned)
        quality = FaceQuality(
            **{**quality.__dict__, "brightness": brightness, "overexposed": overexposed, "sharpness": sharpness}
        )
        if self.config.quality_gates:
            if self._cut_off(kps, bgr.shape, quality.eye_distance):
                raise errors.FaceImageError(errors.FACE_CUT_OFF, details=quality.as_dict())
            failed = check_gates(quality, self.config.quality)
            if failed:
                raise errors.FaceImageError(failed, details=quality.as_dict())
        t2 = time.perf_counter()
        embedding = self.embed(aligned)
        t3 = time.perf_counter()
        fusion_embedding = self.embed_fusion(aligned) if self.pack.fusion is not None else None
        t4 = time.perf_counter()
        return FaceResult(
            embedding=embedding,
            model_id=self.model_id,
            quality=quality,
            bbox=bbox,
            kps=kps,
            aligned=aligned,
            face_phash=phash64(aligned),
            timings={"detect": t1 - t0, "quality": t2 - t1, "embed": t3 - t2, "embed_fusion": t4 - t3},
            fusion_embedding=fusion_embedding,
        )

    def measure(self, bgr: np.ndarray, bbox: np.ndarray, kps: np.ndarray, *, faces_found: int) -> FaceQuality:
        yaw, pitch, roll = pose_from_landmarks(kps)
        eye_distance = float(np.linalg.norm(kps[1] - kps[0]))
        face_size = float(np.linalg.norm((kps[3] + kps[4]) / 2 - (kps[0] + kps[1]) / 2))
        return FaceQuality(
            det_score=float(bbox[4]),
            eye_distance=eye_distance,
            face_size=face_size,
            face_width=float(bbox[2] - bbox[0]),
            yaw=yaw,
            pitch=pitch,
            roll=roll,
            brightness=0.0,
            overexposed=0.0,
            sharpness=0.0,
            faces_found=faces_found,
        )

    def _cut_off(self, kps: np.ndarray, shape: tuple[int, ...], eye_distance: float) -> bool:
        h, w = shape[:2]
        margin = self.config.quality.cut_off_margin * eye_distance
        return bool(
            np.any(kps[:, 0] < -margin)
            or np.any(kps[:, 1] < -margin)
            or np.any(kps[:, 0] > w + margin)
            or np.any(kps[:, 1] > h + margin)
        )

    def describe(self) -> dict[str, Any]:
        return {**self.pack.describe(), "warm": self._warm.is_set(), "det_size": self.config.det_size}


def subject_scores(boxes: np.ndarray, image_shape: tuple[int, ...], *, sigma: float) -> np.ndarray:
    """Box area times a centrality weight: how much each face looks like the photo's subject."""
    h, w = image_shape[:2]
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    dx = (boxes[:, 0] + boxes[:, 2]) / 2 / w - 0.5
    dy = (boxes[:, 1] + boxes[:, 3]) / 2 / h - 0.5
    return areas * np.exp(-(dx**2 + dy**2) / sigma**2)


def _embed_other(model: Any, aligned: np.ndarray, *, flip: bool) -> np.ndarray:
    size = int(model.input_size[0])
    crop = aligned if aligned.shape[0] == size else cv2.resize(aligned, (size, size), interpolation=cv2.INTER_AREA)
    feat = normalise(model.get_feat(crop).ravel())
    if not flip:
        return feat
    flipped = normalise(model.get_feat(np.ascontiguousarray(crop[:, ::-1])).ravel())
    return normalise(feat + flipped)


def normalise(vector: np.ndarray) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float32).ravel()
    return vector / (np.linalg.norm(vector) + 1e-12)
