"""django-q2 tasks of the facecheck app."""

from __future__ import annotations

from facecheck import services


def face_duplicates_scan() -> int:
    """Nightly: every active template against every other pensioner's (one face, one benefit identity)."""
    return services.face_duplicates_scan()
