"""Engine access and how photos and embeddings are stored (shared by the other service modules)."""

from __future__ import annotations

import io
import logging
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.core.files.base import ContentFile
from PIL import Image

from facecheck.engine.errors import FaceModelsUnavailable
from facecheck.engine.loader import FaceModelConfigError, get_engine
from facecheck.engine.pipeline import FaceEngine, FaceResult

logger = logging.getLogger(__name__)


def face_engine() -> FaceEngine:
    """The loaded engine, or a 503 the app can show ("use another way for now")."""
    try:
        engine: FaceEngine = get_engine()
        engine.thresholds()
    except FaceModelConfigError as exc:
        logger.error("face models unusable: %s", exc)
        raise FaceModelsUnavailable() from exc
    return engine


def _jpeg(bgr: npt.NDArray[np.uint8]) -> ContentFile[bytes]:
    """Photos are kept as plain JPEG: one format staff can open, and no EXIF (GPS) carried over."""
    buffer = io.BytesIO()
    Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).save(buffer, format="JPEG", quality=90)
    return ContentFile(buffer.getvalue(), name="face.jpg")


def _vector_bytes(vector: npt.NDArray[Any]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _second_fields(engine: FaceEngine, result: FaceResult) -> dict[str, Any]:
    if engine.pack.second is None or engine.pack.second_file is None:
        return {"second_model_id": "", "second_embedding": None}
    return {
        "second_model_id": engine.pack.second_file.model_id,
        "second_embedding": _vector_bytes(result.second(engine)),
    }


def _fusion_fields(engine: FaceEngine, result: FaceResult) -> dict[str, Any]:
    """The fusion recogniser's embedding, stored exactly as the primary ``embedding`` is."""
    if engine.pack.fusion is None:
        return {"fusion_model_id": "", "fusion_embedding": None}
    vector = result.fusion_embedding if result.fusion_embedding is not None else engine.embed_fusion(result.aligned)
    return {"fusion_model_id": engine.fusion_model_id, "fusion_embedding": _vector_bytes(vector)}


def _other_model_fields(engine: FaceEngine, result: FaceResult) -> dict[str, Any]:
    """Every other configured model's embedding of this face (fusion and second)."""
    return {**_second_fields(engine, result), **_fusion_fields(engine, result)}


def _analyze_photo(engine: FaceEngine, image: bytes) -> tuple[FaceResult, npt.NDArray[np.uint8]]:
    result = engine.analyze_bytes(image)
    return result, result.source_bgr if result.source_bgr is not None else np.zeros((1, 1, 3), np.uint8)
