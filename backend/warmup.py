"""Load what is expensive once per process, before the first request (models, classifier).

Apps register their loaders from ``AppConfig.ready`` (the bottom layer imports none of them).
Called from ``backend/wsgi.py``; a loader that fails is logged and the worker still starts (the
face endpoint and the health command then answer a clear configuration error).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)

_loaders: list[Callable[[], object]] = []


def register_warm_up(loader: Callable[[], object]) -> None:
    if loader not in _loaders:
        _loaders.append(loader)


def warm_up_process() -> None:
    if not settings.WARM_UP_ON_START:
        return
    for loader in _loaders:
        try:
            loader()
        except Exception:  # reported by the health checks and the endpoints; never block start-up
            logger.exception("Warm-up %s failed at start-up", getattr(loader, "__qualname__", loader))
