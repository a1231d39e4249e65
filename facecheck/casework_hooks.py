"""What the face app tells casework (registered in ``FacecheckConfig.ready``; casework never imports
facecheck): which selfie a face review case is about, a visit photo compared with the enrolled
reference photo (a hint for the reviewer), and who keeps failing face certification.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from accounts.models import Pensioner
from casework.hooks import ReviewedAttempt
from casework.models import Case, EvidenceFile
from facecheck.models import FaceAttempt, FaceTemplate

FAILED = (FaceAttempt.Result.REJECTED, FaceAttempt.Result.REPLAY)


def reviewed_attempt(case: Case) -> ReviewedAttempt | None:
    """The latest selfie sent to review on this case (the one staff look at)."""
    attempt = (
        FaceAttempt.objects.filter(case=case, result=FaceAttempt.Result.REVIEW).order_by("-created_at", "-id").first()
    )
    if attempt is None:
        ids = [report.get("attempt") for report in case.details.get("reports", []) if report.get("attempt")]
        attempt = (
            FaceAttempt.objects.filter(public_id__in=ids, pensioner_id=case.pensioner_id, result="review")
            .order_by("-created_at", "-id")
            .first()
        )
    if attempt is None:
        return None
    return ReviewedAttempt(
        method=attempt.method,
        attempted_at=attempt.created_at,
        evidence_ref=f"facecheck.attempt:{attempt.public_id}",
    )


def visit_photo_compare(pensioner: Pensioner, evidence: EvidenceFile) -> dict[str, Any]:
    """Compare the visit photo with the pensioner's enrolled reference: a hint, never a decision."""
    from facecheck.engine.errors import FaceImageError
    from facecheck.services import face_engine

    engine = face_engine()
    references = list(
        FaceTemplate.objects.filter(
            pensioner=pensioner, is_active=True, kind=FaceTemplate.Kind.REFERENCE, model_id=engine.model_id
        )
    )
    if not references:
        return {"status": "no_reference"}
    with evidence.file.open("rb") as handle:
        data = handle.read()
    try:
        probe = engine.analyze_bytes(data)
    except FaceImageError as exc:
        return {"status": "no_usable_face", "reason": exc.code}
    score = max(float(template.vector @ probe.embedding) for template in references)
    thresholds = engine.thresholds()
    hint = "similar" if score >= thresholds["accept"] else "different" if score < thresholds["reject"] else "unsure"
    return {"status": "compared", "score": round(score, 4), "hint": hint, "model_id": engine.model_id}


def repeated_face_failures(today: datetime.date) -> Iterable[int]:
    """People with N failed selfies in 30 days, no accepted one since, and certification due."""
    since = timezone.make_aware(datetime.datetime.combine(today - datetime.timedelta(days=30), datetime.time()))
    recent = FaceAttempt.objects.filter(created_at__gte=since)
    accepted = recent.filter(result=FaceAttempt.Result.ACCEPTED).values("pensioner_id")
    return (
        recent.filter(result__in=FAILED, pensioner__next_due__lte=today + datetime.timedelta(days=60))
        .exclude(pensioner_id__in=accepted)
        .values("pensioner_id")
        .annotate(failures=Count("id"))
        .filter(failures__gte=settings.CASEWORK_VISIT_FACE_FAILURES)
        .values_list("pensioner_id", flat=True)
    )


def link_review_certification(*, pensioner: Pensioner, certification: Any, **_kwargs: Any) -> None:
    """A face review approved in casework certified from one of our attempts: link them."""
    ref = certification.evidence_ref or ""
    if not ref.startswith("facecheck.attempt:"):
        return
    FaceAttempt.objects.filter(public_id=ref.split(":", 1)[1], pensioner=pensioner, certification__isnull=True).update(
        certification=certification
    )
