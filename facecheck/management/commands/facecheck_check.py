"""Health check of the face models: load, warm up, embed a test image, show ids and thresholds.

    python manage.py facecheck_check

Exits non-zero with a message naming what is missing when the pack cannot be used, so it can be
the readiness probe of a deployment (or run after `facecheck_install_pack`).
"""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError

from facecheck.engine.config import EngineConfig
from facecheck.engine.loader import FaceModelConfigError, get_engine


class Command(BaseCommand):
    help = "Check that the configured face models load, run and have calibrated thresholds."
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        config = EngineConfig.from_settings()
        started = time.perf_counter()
        try:
            engine = get_engine(config)
            thresholds = engine.thresholds()
        except FaceModelConfigError as exc:
            raise CommandError(f"face models unusable: {exc}") from exc
        loaded = time.perf_counter() - started
        probe = engine.embed(np.full((engine.pack.crop_size, engine.pack.crop_size, 3), 127, dtype=np.uint8))
        if probe.shape != (engine.embedding_dim,) or not np.isfinite(probe).all():
            raise CommandError(f"recogniser returned an unusable embedding of shape {probe.shape}")
        report = {**engine.describe(), "thresholds": thresholds, "load_seconds": round(loaded, 2)}
        self.stdout.write(json.dumps(report, indent=2, ensure_ascii=False))
        self.stdout.write(self.style.SUCCESS("face models OK"))
