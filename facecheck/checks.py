"""System check: say at startup when the face model pack is missing (without loading it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from facecheck.engine.loader import FaceModelConfigError, check_model_dir


@checks.register("facecheck")
def face_models_present(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A warning, not an error: the rest of the service (status, SMS, casework) still works."""
    try:
        check_model_dir(Path(settings.FACECHECK_MODEL_DIR).expanduser())
    except FaceModelConfigError as exc:
        return [
            checks.Warning(
                f"Face certification is unavailable: {exc}",
                hint="Run `python manage.py facecheck_install_pack SRC` then `python manage.py facecheck_check`.",
                id="facecheck.W001",
            )
        ]
    return []
