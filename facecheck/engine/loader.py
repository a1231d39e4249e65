"""Loading a model pack from a local directory, once per process, never downloading.

insightface's ``FaceAnalysis(name=...)`` downloads a pack when ``name`` is not an existing
directory, and ``model_zoo.get_model`` asserts on a missing file. Both would surface as an
obscure network error or AssertionError on a server without internet, so the directory and its
files are checked first and a :class:`FaceModelConfigError` names what is missing.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.core.exceptions import ImproperlyConfigured

from .config import EngineConfig

logger = logging.getLogger(__name__)

PROVIDERS = ["CPUExecutionProvider"]


class FaceModelConfigError(ImproperlyConfigured):
    """The configured model pack is missing or unusable. Operators see this at startup/health check."""


@dataclass(frozen=True)
class ModelFile:
    path: Path
    sha256: str

    @property
    def name(self) -> str:
        return self.path.stem

    @property
    def model_id(self) -> str:
        """Name plus content hash: two files with the same name but other weights never compare."""
        return f"{self.name}@{self.sha256[:16]}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_file(path: Path, what: str) -> None:
    if not path.is_file():
        raise FaceModelConfigError(f"{what} {path} does not exist. Install it or fix the setting.")


def check_model_dir(model_dir: Path) -> list[Path]:
    """Return the pack's ONNX files or raise a configuration error that says what is missing."""
    if not model_dir.exists():
        raise FaceModelConfigError(
            f"FACECHECK_MODEL_DIR {model_dir} does not exist. Install a pack with "
            "`python manage.py facecheck_install_pack SRC_DIR` or point FACECHECK_MODEL_DIR at one "
            "(a directory holding one SCRFD detector .onnx and one ArcFace-style recogniser .onnx, "
            "like insightface's ~/.insightface/models/buffalo_sc). Models are never downloaded."
        )
    if not model_dir.is_dir():
        raise FaceModelConfigError(f"FACECHECK_MODEL_DIR {model_dir} is not a directory.")
    onnx_files = sorted(model_dir.glob("*.onnx"))
    if not onnx_files:
        raise FaceModelConfigError(
            f"FACECHECK_MODEL_DIR {model_dir} holds no *.onnx files: expected a detector "
            "(e.g. det_500m.onnx) and a recogniser (e.g. w600k_mbf.onnx)."
        )
    return onnx_files


def _session_options(threads: int) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    # Idle pool threads must not spin: the detector's and the recogniser's pools (and the Python work
    # between their runs) share two cores, and spinning threads of one session slowed the next by
    # 40-70 % here (detector 42 -> 25 ms, recogniser 14 -> 8 ms; docs/benchmarks.md, "Face").
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    return options


class ModelPack:
    """Detector + recogniser (+ optional second recogniser) loaded through insightface's model zoo."""

    def __init__(self, config: EngineConfig) -> None:
        import onnxruntime
        from insightface.app import FaceAnalysis
        from insightface.model_zoo import get_model

        onnxruntime.set_default_logger_severity(3)
        model_dir = config.model_dir.expanduser().resolve() if config.model_dir.exists() else config.model_dir
        onnx_files = check_model_dir(model_dir)
        if config.detector_file:
            _check_file(config.detector_file, "FACECHECK_DETECTOR_FILE")
        if config.second_recognizer_file:
            _check_file(config.second_recognizer_file, "FACECHECK_SECOND_RECOGNIZER_FILE")
        if config.fusion_recognizer_file:
            _check_file(config.fusion_recognizer_file, "FACECHECK_FUSION_RECOGNIZER_FILE")
        options = _session_options(config.ort_threads)
        try:
            # A directory path as ``name`` is used as-is by insightface 2.x: no download path is taken.
            app = FaceAnalysis(
                name=str(model_dir),
                allowed_modules=["detection", "recognition"],
                providers=PROVIDERS,
                sess_options=options,
            )
        except AssertionError as exc:  # insightface asserts when the pack has no detector
            raise FaceModelConfigError(
                f"No SCRFD detection model found in {model_dir} (files: {', '.join(p.name for p in onnx_files)})."
            ) from exc
        if "recognition" not in app.models:
            raise FaceModelConfigError(
                f"No recognition model (square 112 px input) found in {model_dir} "
                f"(files: {', '.join(p.name for p in onnx_files)})."
            )
        self.detector = app.models["detection"]
        if config.detector_file:
            self.detector = get_model(str(config.detector_file), providers=PROVIDERS, sess_options=options)
            if getattr(self.detector, "taskname", None) != "detection":
                raise FaceModelConfigError(f"FACECHECK_DETECTOR_FILE {config.detector_file} is not a detector.")
        self.recognizer = app.models["recognition"]
        self.second = None
        if config.second_recognizer_file:
            self.second = get_model(str(config.second_recognizer_file), providers=PROVIDERS, sess_options=options)
            if getattr(self.second, "taskname", None) != "recognition":
                raise FaceModelConfigError(
                    f"FACECHECK_SECOND_RECOGNIZER_FILE {config.second_recognizer_file} is not a recogniser."
                )
        self.fusion = None
        if config.fusion_recognizer_file:
            self.fusion = get_model(str(config.fusion_recognizer_file), providers=PROVIDERS, sess_options=options)
            if getattr(self.fusion, "taskname", None) != "recognition":
                raise FaceModelConfigError(
                    f"FACECHECK_FUSION_RECOGNIZER_FILE {config.fusion_recognizer_file} is not a recogniser."
                )
        self.detector.prepare(-1, input_size=(config.det_size, config.det_size), det_thresh=config.det_thresh)
        self.recognizer.prepare(-1)
        if self.second is not None:
            self.second.prepare(-1)
        if self.fusion is not None:
            self.fusion.prepare(-1)

        self.model_dir = model_dir
        self.detector_file = ModelFile(Path(self.detector.model_file), file_sha256(Path(self.detector.model_file)))
        self.recognizer_file = ModelFile(
            Path(self.recognizer.model_file), file_sha256(Path(self.recognizer.model_file))
        )
        self.second_file = (
            ModelFile(Path(self.second.model_file), file_sha256(Path(self.second.model_file))) if self.second else None
        )
        self.fusion_file = (
            ModelFile(Path(self.fusion.model_file), file_sha256(Path(self.fusion.model_file))) if self.fusion else None
        )
        self.crop_size = int(self.recognizer.input_size[0])
        self.embedding_dim = self._output_dim(self.recognizer)
        self.second_dim = self._output_dim(self.second) if self.second is not None else 0
        self.fusion_dim = self._output_dim(self.fusion) if self.fusion is not None else 0

    @staticmethod
    def _output_dim(model: Any) -> int:
        """Embedding size from the model itself (128 for MobileFaceNet, 512 for w600k_*)."""
        shape = model.output_shape
        if isinstance(shape[-1], int) and shape[-1] > 0:
            return int(shape[-1])
        blank = np.zeros((model.input_size[1], model.input_size[0], 3), dtype=np.uint8)
        return int(model.get_feat(blank).size)

    @property
    def model_id(self) -> str:
        """The embedding space: templates with another model id are never compared."""
        return self.recognizer_file.model_id

    @property
    def model_name(self) -> str:
        return self.recognizer_file.name

    def describe(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id,
            "recognizer": {"file": self.recognizer_file.path.name, "sha256": self.recognizer_file.sha256},
            "detector": {"file": self.detector_file.path.name, "sha256": self.detector_file.sha256},
            "second": (
                {"file": self.second_file.path.name, "sha256": self.second_file.sha256} if self.second_file else None
            ),
            "fusion": (
                {"file": self.fusion_file.path.name, "sha256": self.fusion_file.sha256} if self.fusion_file else None
            ),
            "embedding_dim": self.embedding_dim,
        }


_engine_lock = threading.Lock()
_engines: dict[Any, Any] = {}


def get_engine(config: EngineConfig | None = None) -> Any:
    """The process-wide engine for a config: loaded and warmed once, shared by all threads."""
    from .pipeline import FaceEngine

    if config is None:
        config = EngineConfig.from_settings()
    key = _hashable(config)
    engine = _engines.get(key)
    if engine is not None:
        return engine
    with _engine_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = FaceEngine(config)
            engine.warm_up()
            _engines[key] = engine
            logger.info("face models loaded: %s", engine.pack.describe())
    return engine


def _hashable(config: EngineConfig) -> Any:
    """What identifies a loaded engine; thresholds are decision settings read at decision time."""
    return (
        str(config.model_dir),
        str(config.detector_file),
        str(config.second_recognizer_file),
        str(config.fusion_recognizer_file),
        config.fusion_flip_average,
        config.det_size,
        config.det_thresh,
        config.retry_det_thresh,
        config.flip_average,
        config.quality_gates,
        config.ort_threads,
        config.max_bytes,
        config.max_pixels,
        config.work_side,
        config.quality,
    )


def reset_engines() -> None:
    """Forget loaded engines (tests that point FACECHECK_MODEL_DIR elsewhere)."""
    with _engine_lock:
        _engines.clear()
