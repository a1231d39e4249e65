"""Fixtures with the real face models and real photos under /work/shared (skipped only if absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .images import EASTASIA, LFW


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        pytest.skip(f"{what} not available at {path}")
    return path


@pytest.fixture(scope="session")
def engine():  # type: ignore[no-untyped-def]
    """The process-wide engine exactly as the endpoint uses it (settings, thresholds, warm-up)."""
    from django.conf import settings

    from facecheck.engine.config import EngineConfig
    from facecheck.engine.loader import get_engine

    _require(Path(settings.FACECHECK_MODEL_DIR), "face model pack (FACECHECK_MODEL_DIR)")
    return get_engine(EngineConfig.from_settings())


@pytest.fixture(scope="session")
def lfw() -> Path:
    return _require(LFW / "images", "LFW calibration photos")


@pytest.fixture(scope="session")
def eastasia() -> Path:
    return _require(EASTASIA / "images", "East-Asian calibration photos")
