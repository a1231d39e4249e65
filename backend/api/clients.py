"""Who is calling: one rule for throttles, lockouts and the audit trail.

Behind ``NUM_PROXIES`` trusted reverse proxies the client is the address the outermost of them saw
(the n-th entry from the right of ``X-Forwarded-For``); anything further left was written by the
client and is ignored. With ``NUM_PROXIES = 0`` (the default) the header is never trusted, so a
random ``X-Forwarded-For`` cannot buy a fresh throttle budget.
"""

from __future__ import annotations

import ipaddress

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest | None) -> str | None:
    """The same address DRF's throttles key on (``BaseThrottle.get_ident``), validated."""
    if request is None:
        return None
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = api_settings.NUM_PROXIES or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    addresses = [part.strip() for part in forwarded.split(",")]
    candidate = addresses[-min(proxies, len(addresses))]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
