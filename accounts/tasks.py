from __future__ import annotations

from django.utils import timezone
from knox.models import AuthToken


def tokens_expired_purge() -> int:
    """Delete expired device tokens (knox would otherwise do it on every request)."""
    deleted, _rows = AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return deleted
