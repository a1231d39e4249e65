"""Test settings: the embedded defaults plus in-memory SMS, synchronous django-q2, a local cache and fast hashing.

The environment is set before the main settings module reads it; anything set explicitly in the
environment (DATABASE_URL for the PostgreSQL run, say) still wins.
"""

import os

os.environ.setdefault("SMS_BACKEND", "memory")
os.environ.setdefault("Q_SYNC", "True")
os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")
# Fixed test keys for field and file encryption (backend.crypto): 32 bytes each, base64.
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDA")
os.environ.setdefault("FIELD_BLIND_INDEX_KEY", "dGVzdC1ibGluZC1pbmRleC1rZXktbm90LWZvci1wcmQ")
os.environ.setdefault("THROTTLE_LOGIN_CODE", "10000/min")
os.environ.setdefault("THROTTLE_LOGIN_CODE_DAILY", "1000000/day")
os.environ.setdefault("THROTTLE_RELATIVE_LINK", "10000/min")
os.environ.setdefault("RELATIVE_LINK_MIN_RESPONSE_SECONDS", "0.05")
# Tests that exercise quiet hours set them explicitly; all others must not depend on the clock.
os.environ.setdefault("SMS_QUIET_HOURS_START", "")
# Tests that exercise the staff second factor switch it on themselves.
os.environ.setdefault("STAFF_OTP_REQUIRED", "False")

from backend.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A per-process cache, unless CACHE_URL is set explicitly (scripts/test.sh's Redis run sets it).
if not os.environ.get("CACHE_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
