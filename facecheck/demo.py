"""Demo data of face certification: the demo pensioner's reference photo (discovered by
``manage.py seed_demo``), so face certification can be tried at once.

Repeatable: a rerun forgets the demo pensioner's earlier face attempts (and the ageing templates they
left), so the photo the README tells people to send is not answered as a replay of yesterday's try.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings

from accounts.lookups import phone_index
from accounts.models import Pensioner
from facecheck.engine.errors import FaceImageError, FaceModelsUnavailable
from facecheck.models import DuplicateFinding, FaceAttempt, FaceTemplate
from facecheck.services import face_template_enroll

DEMO_PENSIONER_PHONE = "+8613800000001"
# Real photos of one person from the East-Asian calibration set (used by path, never copied): photo 01
# is enrolled for the demo pensioner, so the others can be used to try face certification.
DEMO_FACES = settings.BASE_DIR.parent / "shared" / "faces-eastasia-dev" / "images"
DEMO_FACE_DIR = DEMO_FACES / "cn_chenxing"
DEMO_OTHER_FACE = DEMO_FACES / "cn_cuipeng" / "cn_cuipeng_01.jpg"


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: Any) -> list[str]:
    photo = options.get("face_photo")
    if photo is None:
        photo = str(DEMO_FACE_DIR / "cn_chenxing_01.jpg")
    cleared = _forget_earlier_attempts()
    note = f"Face certification for the pensioner: {_enroll(photo)}"
    if cleared:
        note += f"\n  ({cleared} face attempt(s) of earlier demo runs forgotten, so the photos can be sent again)"
    return [note]


def _forget_earlier_attempts() -> int:
    """Delete the demo pensioner's face attempts and the ageing templates they created (demo data only)."""
    pensioner = Pensioner.objects.filter(phone_bidx=phone_index(DEMO_PENSIONER_PHONE)).first()
    if pensioner is None:
        return 0
    attempts = FaceAttempt.objects.filter(pensioner=pensioner)
    ageing = FaceTemplate.objects.filter(pensioner=pensioner, attempt__isnull=False)
    DuplicateFinding.objects.filter(template_a__in=ageing).delete()
    DuplicateFinding.objects.filter(template_b__in=ageing).delete()
    attempts.update(template=None)  # attempts and ageing templates point at each other (PROTECT)
    ageing.delete()
    for attempt in attempts.exclude(photo=""):
        attempt.photo.delete(save=False)
    return attempts.delete()[0]


def _enroll(photo: str) -> str:
    pensioner = Pensioner.objects.filter(phone_bidx=phone_index(DEMO_PENSIONER_PHONE)).first()
    if pensioner is None:
        return "no demo pensioner"
    path = Path(photo) if photo else None
    if not FaceTemplate.objects.filter(pensioner=pensioner, is_active=True).exists():
        if path is None or not path.is_file():
            return f"no reference photo enrolled (not found: {photo or '-'})"
        try:
            face_template_enroll(pensioner=pensioner, image=path.read_bytes(), enrolled_by=None)
        except (FaceModelsUnavailable, FaceImageError) as exc:
            return f"no reference photo enrolled ({exc})"
    return (
        f"reference photo enrolled ({path.name if path else 'earlier'}). With the pensioner's token:\n"
        f"  curl -X POST localhost:8000/api/v1/facecheck/verify -H 'Authorization: Bearer <token>' "
        f"-F image=@{DEMO_FACE_DIR / 'cn_chenxing_02.jpg'}\n"
        f"  (another photo of the same person: accepted; the enrolled photo itself: replay; "
        f"someone else, e.g. {DEMO_OTHER_FACE}: rejected; once accepted, the rest of the day: already_certified)"
    )
