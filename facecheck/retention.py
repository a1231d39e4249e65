"""Selfie retention: photos of face attempts are deleted after ``FACECHECK_SELFIE_RETENTION_DAYS``.

Kept longer only while they are needed: the attempt's review case is still open, or the photo is
the file of a face template (an accepted selfie kept as an ageing template). The attempt row stays
(scores, result, hashes) so the certification history and the replay checks keep working.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from casework.models import Case
from facecheck.models import FaceAttempt, FaceTemplate

logger = logging.getLogger(__name__)
CASE_DECIDED = (Case.Status.CLOSED, Case.Status.APPROVED, Case.Status.REJECTED)


def selfies_expired_purge(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Delete expired selfie files and clear the attempts' photo field; returns how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.FACECHECK_SELFIE_RETENTION_DAYS)
    template_files = FaceTemplate.objects.values("photo")
    candidates = (
        FaceAttempt.objects.filter(created_at__lt=cutoff)
        .exclude(photo="")
        .filter(Q(case__isnull=True) | Q(case__status__in=CASE_DECIDED))
        .exclude(photo__in=template_files)
        .order_by("pk")
    )
    deleted = 0
    while True:
        rows = list(candidates.values_list("pk", "photo")[:batch])
        if not rows:
            return deleted
        for pk, name in rows:
            FaceAttempt.objects.filter(pk=pk).update(photo="")  # first: never a row pointing at nothing
            FaceAttempt._meta.get_field("photo").storage.delete(name)
            deleted += 1
        logger.info("selfie retention: %d photos deleted so far", deleted)
