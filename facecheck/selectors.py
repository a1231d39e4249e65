"""Reads for face certification: templates to compare with, attempt counts, scoped photo access."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
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


def attempt_counts_today(*, pensioner: Pensioner) -> tuple[int, int]:
    """(compared, submitted) today, one query: compared attempts are what the daily limit counts,
    submissions (everything but refusals by the limit itself) bound the load."""
    counts = attempts_today(pensioner=pensioner).aggregate(
        compared=Count("pk", filter=Q(result__in=FaceAttempt.COMPARED)),
        submitted=Count("pk", filter=~Q(result=FaceAttempt.Result.LIMITED)),
    )
    return counts["compared"], counts["submitted"]


def compared_attempts_today(*, pensioner: Pensioner) -> int:
    return attempt_counts_today(pensioner=pensioner)[0]


@dataclass(frozen=True)
class EarlierPhoto:
    sha256: str
    image_phash: int | None
    face_phash: int | None
    attempt: FaceAttempt | None = None  # set for this pensioner's earlier attempts


@dataclass(frozen=True)
class EarlierPhotos:
    """What the replay checks compare a new selfie with, fetched in three queries."""

    own: list[EarlierPhoto]  # this pensioner's earlier submissions (most recent first) and enrolled photos
    same_bytes_elsewhere: bool  # the same bytes were submitted for, or enrolled as, somebody else
    same_bytes_attempts: list[FaceAttempt]  # this pensioner's earlier attempts with the same bytes


def earlier_photos(*, pensioner: Pensioner, sha256: str, limit: int = 500) -> EarlierPhotos:
    attempts = list(
        FaceAttempt.objects.filter(pensioner=pensioner)
        .exclude(image_sha256="")
        .only("pk", "image_sha256", "image_phash", "face_phash", "actor_id", "result", "reason", "created_at")
        .order_by("-created_at")[:limit]
    )
    others = FaceAttempt.objects.filter(image_sha256=sha256).exclude(pensioner=pensioner)
    templates = list(
        FaceTemplate.objects.filter(Q(pensioner=pensioner) | Q(photo_sha256=sha256)).values_list(
            "pensioner_id", "photo_sha256", "photo_phash", "face_phash"
        )
    )
    own = [EarlierPhoto(a.image_sha256, a.image_phash, a.face_phash, a) for a in attempts]
    own += [EarlierPhoto(sha, ip, fp) for owner, sha, ip, fp in templates if owner == pensioner.pk]
    elsewhere = any(owner != pensioner.pk for owner, *_rest in templates) or others.exists()
    return EarlierPhotos(
        own=own,
        same_bytes_elsewhere=elsewhere,
        same_bytes_attempts=[a for a in attempts if a.image_sha256 == sha256],
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
