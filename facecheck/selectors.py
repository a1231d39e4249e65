"""Reads for face certification: templates to compare with, attempt counts, scoped photo access."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Count, Model, Q, QuerySet
from django.utils import timezone

from accounts.models import Pensioner, RelativeLink, User
from accounts.selectors import pensioners_in_scope, user_is_staff_member
from backend.api.errors import NotFoundError
from facecheck.models import FaceAttempt, FaceTemplate
from selfservice.models import Certification

_M = TypeVar("_M", bound=Model)


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


def certified_today(*, pensioner: Pensioner) -> bool:
    """A certification (any method) dated since the start of the local day: a face attempt adds nothing.

    Per local day, like the attempt limit: someone certified minutes ago is told so instead of certifying
    again and again, and a relative acting after the pensioner did it themselves is told the same.
    """
    return Certification.objects.filter(pensioner=pensioner, certified_at__gte=local_day_start()).exists()


def has_approved_relative(*, pensioner: Pensioner) -> bool:
    return RelativeLink.objects.filter(pensioner=pensioner, status=RelativeLink.Status.APPROVED).exists()


@dataclass(frozen=True)
class EarlierPhoto:
    sha256: str
    image_phash: int | None
    face_phash: int | None
    attempt: FaceAttempt | None = None  # set for this pensioner's earlier attempts


@dataclass(frozen=True)
class VerificationContext:
    """Everything a verification reads before the photo is analysed, in three queries."""

    templates: list[FaceTemplate]  # active templates of the loaded model: the only ones compared
    other_model_templates: bool  # active templates exist, but of another model (re-embedding pending)
    compared_today: int  # what the daily limit counts
    submitted_today: int  # every submission except refusals by the limit itself
    own: list[EarlierPhoto]  # this pensioner's earlier submissions (most recent first) and enrolled photos
    same_bytes_elsewhere: bool  # the same bytes were submitted for, or enrolled as, somebody else
    same_bytes_attempts: list[FaceAttempt]  # this pensioner's earlier attempts with the same bytes


def verification_context(*, pensioner: Pensioner, sha256: str, model_id: str, limit: int = 500) -> VerificationContext:
    """Templates, today's counts and what the replay checks compare with.

    Attempts refused by the limit itself are left out: they can be many, and neither the counts nor
    the replay checks need them. The rest is bounded by the daily submission cap, so ``limit`` recent
    rows always include the whole of today.
    """
    attempts = list(
        FaceAttempt.objects.filter(pensioner=pensioner)
        .exclude(result=FaceAttempt.Result.LIMITED)
        .only("pk", "image_sha256", "image_phash", "face_phash", "actor_id", "result", "reason", "created_at")
        .order_by("-created_at")[:limit]
    )
    templates = list(
        FaceTemplate.objects.filter(Q(pensioner=pensioner) | Q(photo_sha256=sha256)).order_by("kind", "-id")
    )
    own_templates = [t for t in templates if t.pensioner_id == pensioner.pk]
    active = [t for t in own_templates if t.is_active]
    today = local_day_start()
    today_attempts = [a for a in attempts if a.created_at >= today]
    own = [EarlierPhoto(a.image_sha256, a.image_phash, a.face_phash, a) for a in attempts if a.image_sha256]
    own += [EarlierPhoto(t.photo_sha256, t.photo_phash, t.face_phash) for t in own_templates]
    same_bytes_owners = set(FaceAttempt.objects.filter(image_sha256=sha256).values_list("pensioner_id", flat=True))
    if pensioner.pk in same_bytes_owners:  # also catches the same bytes refused earlier by the limit
        own.append(EarlierPhoto(sha256, None, None))
    elsewhere = len(own_templates) < len(templates) or bool(same_bytes_owners - {pensioner.pk})
    return VerificationContext(
        templates=[t for t in active if t.model_id == model_id],
        other_model_templates=any(t.model_id != model_id for t in active),
        compared_today=sum(a.result in FaceAttempt.COMPARED for a in today_attempts),
        submitted_today=len(today_attempts),
        own=own,
        same_bytes_elsewhere=elsewhere,
        same_bytes_attempts=[a for a in attempts if a.image_sha256 and a.image_sha256 == sha256],
    )


def _staff_pensioner_ids(actor: User) -> QuerySet[Pensioner]:
    if not user_is_staff_member(actor):
        return Pensioner.objects.none()
    return pensioners_in_scope(actor=actor)


def _in_staff_scope(queryset: QuerySet[_M], *, actor: User, **lookup: object) -> _M:
    """The one row matching ``lookup`` whose pensioner is in the staff member's scope; 404 for anyone else."""
    found = queryset.filter(pensioner__in=_staff_pensioner_ids(actor), **lookup).select_related("pensioner").first()
    if found is None:
        raise NotFoundError()
    return found


def face_template_get_for_staff(*, actor: User, template_id: int) -> FaceTemplate:
    return _in_staff_scope(FaceTemplate.objects.all(), actor=actor, pk=template_id)


def face_attempt_get_for_staff(*, actor: User, public_id: uuid.UUID | str) -> FaceAttempt:
    try:
        key = uuid.UUID(str(public_id))
    except ValueError:
        raise NotFoundError() from None
    return _in_staff_scope(FaceAttempt.objects.all(), actor=actor, public_id=key)


def active_templates_for_index(*, model_id: str, after_id: int = 0) -> QuerySet[FaceTemplate]:
    """Streaming source of the 1:N index: only the columns it needs."""
    return (
        FaceTemplate.objects.filter(model_id=model_id, is_active=True, pk__gt=after_id)
        .order_by("pk")
        .only("pk", "pensioner_id", "embedding")
    )
