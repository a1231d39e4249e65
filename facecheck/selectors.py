"""Reads for face certification: templates to compare with, attempt counts, scoped photo access."""

from __future__ import annotations

import datetime
import uuid

from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import Pensioner, User
from accounts.selectors import pensioners_in_scope, user_is_staff_member
from backend.api.errors import NotFoundError
from facecheck.models import FaceAttempt, FaceTemplate


def templates_for_matching(*, pensioner: Pensioner, model_id: str) -> list[FaceTemplate]:
    """Active templates of the current model only: embeddings of another model are never compared."""
    return list(
        FaceTemplate.objects.filter(pensioner=pensioner, model_id=model_id, is_active=True).order_by("kind", "-id")
    )


def templates_of_other_models_exist(*, pensioner: Pensioner, model_id: str) -> bool:
    return FaceTemplate.objects.filter(pensioner=pensioner, is_active=True).exclude(model_id=model_id).exists()


def local_day_start(now: datetime.datetime | None = None) -> datetime.datetime:
    now = timezone.localtime(now or timezone.now())
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def attempts_today(*, pensioner: Pensioner) -> QuerySet[FaceAttempt]:
    return FaceAttempt.objects.filter(pensioner=pensioner, created_at__gte=local_day_start())


def compared_attempts_today(*, pensioner: Pensioner) -> int:
    """Attempts that reached a comparison today: what the daily limit counts."""
    return attempts_today(pensioner=pensioner).filter(result__in=FaceAttempt.COMPARED).count()


def submissions_today(*, pensioner: Pensioner) -> int:
    """Every submission today except those already refused by the limit (a bound on load)."""
    return attempts_today(pensioner=pensioner).exclude(result=FaceAttempt.Result.LIMITED).count()


def recent_hashes(*, pensioner: Pensioner, limit: int = 500) -> list[tuple[str, int | None, int | None]]:
    """(sha256, image pHash, face pHash) of this pensioner's earlier submissions and enrolled photos."""
    attempts = (
        FaceAttempt.objects.filter(pensioner=pensioner)
        .exclude(image_sha256="")
        .order_by("-created_at")
        .values_list("image_sha256", "image_phash", "face_phash")[:limit]
    )
    templates = FaceTemplate.objects.filter(pensioner=pensioner).values_list(
        "photo_sha256", "photo_phash", "face_phash"
    )
    return [*attempts, *templates]


def sha256_seen_elsewhere(*, sha256: str, pensioner: Pensioner) -> bool:
    """The same bytes were submitted for, or enrolled as, somebody else."""
    return (
        FaceAttempt.objects.filter(image_sha256=sha256).exclude(pensioner=pensioner).exists()
        or FaceTemplate.objects.filter(photo_sha256=sha256).exclude(pensioner=pensioner).exists()
    )


def _staff_pensioner_ids(actor: User) -> QuerySet[Pensioner]:
    if not user_is_staff_member(actor):
        return Pensioner.objects.none()
    return pensioners_in_scope(actor=actor)


def face_template_get_for_staff(*, actor: User, template_id: int) -> FaceTemplate:
    """A template whose pensioner is in the staff member's scope; 404 for anyone else."""
    template = (
        FaceTemplate.objects.filter(pk=template_id, pensioner__in=_staff_pensioner_ids(actor))
        .select_related("pensioner")
        .first()
    )
    if template is None:
        raise NotFoundError()
    return template


def face_attempt_get_for_staff(*, actor: User, public_id: uuid.UUID | str) -> FaceAttempt:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFoundError() from None
    attempt = (
        FaceAttempt.objects.filter(public_id=key, pensioner__in=_staff_pensioner_ids(actor))
        .select_related("pensioner")
        .first()
    )
    if attempt is None:
        raise NotFoundError()
    return attempt


def active_templates_for_index(*, model_id: str, after_id: int = 0) -> QuerySet[FaceTemplate]:
    """Streaming source of the 1:N index: only the columns it needs."""
    return (
        FaceTemplate.objects.filter(model_id=model_id, is_active=True, pk__gt=after_id)
        .order_by("pk")
        .only("pk", "pensioner_id", "embedding")
    )
