"""Load what is expensive once per process, before the first request (models, classifier).

Called from ``backend/wsgi.py``; a worker that cannot load its face models still starts (the
verify endpoint and the health command then answer a clear configuration error).
"""

from __future__ import annotations

import logging

from django.conf import settings

logger = logging.getLogger(__name__)


def warm_up_process() -> None:
    if not settings.WARM_UP_ON_START:
        return
    from chatbot.nlu.classifier import warm_up as chatbot_warm_up

    chatbot_warm_up()
    try:
        from facecheck.engine.loader import get_engine

        get_engine()
    except Exception:  # reported by the health check and the endpoint; never block start-up
        logger.exception("Face models could not be loaded at start-up")
