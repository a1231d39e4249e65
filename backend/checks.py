"""Deployment checks (``manage.py check --deploy``) for what Django's own checks cannot know."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning

from backend import crypto

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


@register(Tags.security, deploy=True)
def field_keys_check(app_configs: Any, **kwargs: Any) -> list[CheckWarning]:
    """Personal data at rest is encrypted with keys that must be the deployment's own (backend.crypto)."""
    problems = []
    derived = {
        base64.urlsafe_b64encode(
            hashlib.sha256(f"{settings.INSECURE_FIELD_KEY_SEED}{purpose}:{settings.BASE_DIR}".encode()).digest()
        )[:43].decode()
        for purpose in ("encryption", "blind-index")
    }
    try:
        for key in [*settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_BLIND_INDEX_KEY]:
            crypto.decode_key(key)
    except ValueError as exc:
        problems.append(
            CheckWarning(
                f"A field encryption key is not usable: {exc}.",
                hint="Generate one with: python -c 'from backend.crypto import new_key; print(new_key())'",
                id="backend.W003",
            )
        )
    if derived & {*settings.FIELD_ENCRYPTION_KEYS, settings.FIELD_BLIND_INDEX_KEY}:
        problems.append(
            CheckWarning(
                "Personal data is encrypted with a key derived from the checkout's path (scripts/setup.sh not run).",
                hint="Set FIELD_ENCRYPTION_KEYS and FIELD_BLIND_INDEX_KEY (see docs/security.md).",
                id="backend.W002",
            )
        )
    if settings.FIELD_BLIND_INDEX_KEY in settings.FIELD_ENCRYPTION_KEYS:
        problems.append(
            CheckWarning(
                "The blind-index key is also an encryption key.",
                hint="FIELD_BLIND_INDEX_KEY must be a separate key.",
                id="backend.W004",
            )
        )
    return problems
