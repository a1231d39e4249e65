"""Deployment checks (``manage.py check --deploy``) for what Django's own checks cannot know."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning

PER_PROCESS_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches, deploy=True)
def shared_cache_check(app_configs: Any, **kwargs: Any) -> list[CheckWarning]:
    """Throttles and lockouts count in the cache: per-process caches give every worker its own budget."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if settings.DEBUG or backend not in PER_PROCESS_CACHES:
        return []
    return [
        CheckWarning(
            "The default cache is per process; throttles are then per worker.",
            hint="Set CACHE_URL=redis://host:6379/1 when running more than one worker.",
            id="backend.W001",
        )
    ]
