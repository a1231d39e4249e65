"""Face certification: enrollment, verification, ageing templates, re-embedding, duplicate faces.

The engine (facecheck.engine) does the image work; this module decides what is stored, what is
certified and what goes to staff. Order inside a verification: the photo is analysed outside any
transaction (100+ ms of inference must not hold row locks), then one short transaction locks the
pensioner row, re-checks the daily limit and stores the attempt together with its consequence
(certification, review case, ageing template) before the answer leaves.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image

from accounts.models import Pensioner, User
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from backend.formats import plain_date
from backend.locks import session_lock
from casework.models import Case
from casework.services import case_open
from facecheck import selectors
from facecheck.engine import matching
from facecheck.engine.errors import FaceImageError, FaceModelsUnavailable
from facecheck.engine.loader import FaceModelConfigError, get_engine
from facecheck.engine.phash import hamming, to_signed, to_unsigned
from facecheck.engine.pipeline import FaceEngine, FaceResult
from facecheck.models import DuplicateFinding, FaceAttempt, FaceTemplate
from selfservice.models import Certification
from selfservice.services import certification_record

logger = logging.getLogger(__name__)


# --- Engine access ---------------------------------------------------------------------------


def face_engine() -> FaceEngine:
    """The loaded engine, or a 503 the app can show ("use another way for now")."""
    try:
        engine: FaceEngine = get_engine()
        engine.thresholds()
    except FaceModelConfigError as exc:
        logger.error("face models unusable: %s", exc)
        raise FaceModelsUnavailable() from exc
    return engine


def _jpeg(bgr: npt.NDArray[np.uint8]) -> ContentFile[bytes]:
    """Photos are kept as plain JPEG: one format staff can open, and no EXIF (GPS) carried over."""
    buffer = io.BytesIO()
    Image.fromarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).save(buffer, format="JPEG", quality=90)
    return ContentFile(buffer.getvalue(), name="face.jpg")


def _vector_bytes(vector: npt.NDArray[Any]) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def _second_fields(engine: FaceEngine, result: FaceResult) -> dict[str, Any]:
    if engine.pack.second is None or engine.pack.second_file is None:
        return {"second_model_id": "", "second_embedding": None}
    return {
        "second_model_id": engine.pack.second_file.model_id,
        "second_embedding": _vector_bytes(result.second(engine)),
    }


# --- Enrollment ------------------------------------------------------------------------------


def _analyze_photo(engine: FaceEngine, image: bytes) -> tuple[FaceResult, npt.NDArray[np.uint8]]:
    result = engine.analyze_bytes(image)
    return result, result.source_bgr if result.source_bgr is not None else np.zeros((1, 1, 3), np.uint8)


@transaction.atomic
def face_template_enroll(
    *,
    pensioner: Pensioner,
    image: bytes,
    enrolled_by: User | None,
    source: str = FaceTemplate.Source.ENROLLMENT,
    request: HttpRequest | None = None,
) -> FaceTemplate:
    """Enroll a reference photo: quality gates, template, history kept, duplicate-face check.

    The previous templates of the pensioner (reference and ageing, any model) are retired, not
    deleted. Raises FaceImageError with the gate's code when the photo is unusable.
    """
    engine = face_engine()
    result, bgr = _analyze_photo(engine, image)
    locked = Pensioner.objects.select_for_update().get(pk=pensioner.pk)
    now = timezone.now()
    retired = FaceTemplate.objects.filter(pensioner=locked, is_active=True).update(is_active=False, retired_at=now)
    template = FaceTemplate(
        pensioner=locked,
        kind=FaceTemplate.Kind.REFERENCE,
        source=source,
        model_id=engine.model_id,
        embedding=_vector_bytes(result.embedding),
        embedding_dim=engine.embedding_dim,
        photo_sha256=result.image_sha256,
        photo_phash=to_signed(result.image_phash),
        face_phash=to_signed(result.face_phash),
        quality=result.quality.as_dict(),
        enrolled_by=enrolled_by,
        **_second_fields(engine, result),
    )
    template.photo.save("face.jpg", _jpeg(bgr), save=False)
    template.save()
    audit_record(
        actor=enrolled_by,
        action="facecheck.enroll",
        target=template,
        request=request,
        details={"source": source, "model_id": engine.model_id, "retired": retired},
    )
    face_duplicates_check(template=template, engine=engine)
    return template


def face_duplicates_check(*, template: FaceTemplate, engine: FaceEngine | None = None) -> list[DuplicateFinding]:
    """Search every other pensioner's active templates for this face; a case for each new match."""
    from facecheck.dedup import template_index

    engine = engine or face_engine()
    thresholds = engine.thresholds()
    index = template_index(model_id=template.model_id, dim=template.embedding_dim)
    matches = index.search(
        template.vector, k=10, exclude_owner=template.pensioner_id, threshold=thresholds["duplicate"]
    )
    findings = []
    for match in matches:
        other = FaceTemplate.objects.filter(pk=match.template_id, is_active=True).first()
        if other is None:  # retired since the index was synchronised
            continue
        finding = _duplicate_record(template, other, match.score)
        if finding is not None:
            findings.append(finding)
    return findings


def _duplicate_record(new: FaceTemplate, other: FaceTemplate, score: float) -> DuplicateFinding | None:
    """Record a pair once; open (or join) a duplicate_face case on the newer template's pensioner."""
    a, b = sorted((new, other), key=lambda t: t.pk)
    finding, created = DuplicateFinding.objects.get_or_create(
        template_a=a, template_b=b, defaults={"score": score, "model_id": new.model_id}
    )
    if not created:
        return None
    newer, older = (b, a)
    case = case_open(
        pensioner=newer.pensioner,
        category=Case.Category.DUPLICATE_FACE,
        source=Case.Source.FACE_CHECK,
        summary=_("The enrolled face matches another pensioner's face."),
        details={
            "other_pensioner_id": older.pensioner_id,
            "template_id": newer.pk,
            "other_template_id": older.pk,
            "score": round(score, 4),
            "model_id": new.model_id,
        },
    )
    finding.case = case
    finding.save(update_fields=["case"])
    return finding


def face_duplicates_scan() -> int:
    """Scheduled: all active templates of the current model against each other. Returns new findings."""
    from facecheck.engine.index import EmbeddingIndex

    engine = face_engine()
    threshold = engine.thresholds()["duplicate"]
    index = EmbeddingIndex(engine.embedding_dim)
    ids, owners, vectors = [], [], []
    for row in selectors.active_templates_for_index(model_id=engine.model_id).iterator(chunk_size=5000):
        ids.append(row.pk)
        owners.append(row.pensioner_id)
        vectors.append(np.frombuffer(bytes(row.embedding), dtype=np.float32))
    if not ids:
        return 0
    index.add(ids, owners, np.stack(vectors))
    created = 0
    for left, right in index.scan_duplicates(threshold):
        templates = FaceTemplate.objects.filter(pk__in=[left.template_id, right.template_id], is_active=True)
        by_id = {t.pk: t for t in templates.select_related("pensioner")}
        if len(by_id) != 2:
            continue
        with transaction.atomic():
            if _duplicate_record(by_id[left.template_id], by_id[right.template_id], left.score) is not None:
                created += 1
    logger.info("duplicate face scan: %d templates, %d new findings", len(ids), created)
    return created


# --- Verification ----------------------------------------------------------------------------


@dataclass
class VerifyOutcome:
    attempt: FaceAttempt
    message: str
    attempts_left: int
    certification: Certification | None = None
    repeated: bool = False  # an identical retry answered from the stored attempt
    details: dict[str, Any] = field(default_factory=dict)


def _daily_limit() -> int:
    return settings.FACECHECK_DAILY_ATTEMPTS


def _limit_message(*, pensioner: Pensioner, method: str) -> str:
    """Advice that can work for whoever reads it once the pensioner's compared attempts are used up.

    The limit is per pensioner, so a relative's proxy attempt hits it too: the relative is never told
    to ask a relative. The pensioner is pointed to a relative only if an approved link exists.
    """
    if method == FaceAttempt.Method.PROXY_FACE:
        return _(
            "Today's face certification attempts for %(name)s are used up. Please try again tomorrow, or "
            "%(name)s can certify at the community service point or the social insurance counter "
            "(hotline %(hotline)s; staff can also visit at home)."
        ) % {"name": pensioner.name, "hotline": settings.SERVICE_HOTLINE}
    if selectors.has_approved_relative(pensioner=pensioner):
        return _(
            "You have used all of today's face certification attempts. You can ask a linked relative to "
            "certify for you in the app, certify at your community service point or the social insurance "
            "counter, or try again tomorrow."
        )
    return _(
        "You have used all of today's face certification attempts. Please try again tomorrow, or certify at "
        "your community service point or the social insurance counter (hotline %(hotline)s; staff can also "
        "visit you at home)."
    ) % {"hotline": settings.SERVICE_HOTLINE}


def _already_certified_message(*, pensioner: Pensioner, method: str) -> str:
    if method == FaceAttempt.Method.PROXY_FACE:
        return _("%(name)s already certified today and is certified until %(date)s. Nothing to do now.") % {
            "name": pensioner.name,
            "date": plain_date(pensioner.next_due),
        }
    return _("You already certified today and are certified until %(date)s. Nothing to do now.") % {
        "date": plain_date(pensioner.next_due)
    }


def _attempt_base(*, pensioner: Pensioner, actor: User, method: str, image: bytes) -> dict[str, Any]:
    return {
        "pensioner": pensioner,
        "actor": actor,
        "method": method,
        "image_size": len(image),
        "image_sha256": hashlib.sha256(image).hexdigest() if image else "",
    }


def _refuse_over_limit(*, pensioner: Pensioner, actor: User, method: str, image: bytes) -> None:
    FaceAttempt.objects.create(
        **_attempt_base(pensioner=pensioner, actor=actor, method=method, image=image),
        result=FaceAttempt.Result.LIMITED,
        reason="daily_limit",
    )
    raise ApplicationError(
        _limit_message(pensioner=pensioner, method=method), code="face_attempts_exhausted", status_code=429
    )


def _message(result: str, *, left: int, pensioner: Pensioner, method: str) -> str:
    if result == FaceAttempt.Result.ACCEPTED:
        return _("Certification successful. Your next certification is due by %(date)s.") % {
            "date": plain_date(pensioner.next_due)
        }
    if result == FaceAttempt.Result.REVIEW:
        return _(
            "Your photo has been received. A member of staff will check it; "
            "the result will show on your certification status page."
        )
    if result == FaceAttempt.Result.REPLAY:
        return _("Please take a new photo now with the phone camera; earlier photos cannot be used.")
    if left <= 0:
        return _limit_message(pensioner=pensioner, method=method)
    return _(
        "The photo did not match the photo on file. Face the camera in good light and try again "
        "(%(left)s attempts left today)."
    ) % {"left": left}


def _is_replay(result: FaceResult, context: selectors.VerificationContext) -> tuple[str, str]:
    """("replay", why) for a resubmitted picture, ("suspect", why) for a face crop nearly identical to an
    earlier one (a person checks it), ("", "") otherwise.

    Same bytes or a nearly identical whole picture (re-encoded, resized, brightened) is a replay. The
    face-crop hash alone is only a suspicion: two real selfies of one person can, rarely, come close
    (3 of 1,915 East-Asian and 5 of 1,078 LFW same-person pairs are within 6 bits).
    """
    image_limit = settings.FACECHECK_PHASH_MAX_DISTANCE
    face_limit = settings.FACECHECK_FACE_PHASH_MAX_DISTANCE
    if context.same_bytes_elsewhere:
        return "replay", "same_bytes_other_pensioner"
    suspect = ""
    for photo in context.own:
        if photo.sha256 == result.image_sha256:
            return "replay", "same_bytes"
        if photo.image_phash is not None and hamming(to_unsigned(photo.image_phash), result.image_phash) <= image_limit:
            return "replay", "near_identical_photo"
        if photo.face_phash is not None and hamming(to_unsigned(photo.face_phash), result.face_phash) <= face_limit:
            suspect = "near_identical_face"
    return ("suspect", suspect) if suspect else ("", "")


def _previous_same_submission(*, actor: User, context: selectors.VerificationContext) -> FaceAttempt | None:
    """An app retrying the very same upload (lost connection) gets the first answer again."""
    window = datetime.timedelta(seconds=settings.FACECHECK_RETRY_WINDOW_SECONDS)
    since = timezone.now() - window
    candidates = [
        a
        for a in context.same_bytes_attempts
        if a.actor_id == actor.pk
        and a.created_at >= since
        and a.result in FaceAttempt.COMPARED
        and a.reason not in ("same_bytes", "same_bytes_other_pensioner")
    ]
    if not candidates:
        return None
    return FaceAttempt.objects.select_related("certification").get(pk=min(candidates, key=lambda a: a.created_at).pk)


def _score_templates(
    engine: FaceEngine, probe: FaceResult, templates: list[FaceTemplate], thresholds: dict[str, float]
) -> tuple[matching.Score, FaceTemplate, float]:
    """Best decision score over the templates, the template it came from, and the reference's score."""
    second_id = engine.pack.second_file.model_id if engine.pack.second_file else None
    best: tuple[matching.Score, FaceTemplate] | None = None
    reference_score = -1.0
    for template in templates:
        primary = float(template.vector @ probe.embedding)
        second_vector = template.second_vector if template.second_model_id == second_id else None
        second: Callable[[], float] | None = None
        if second_vector is not None:
            second = lambda v=second_vector: float(v @ probe.second(engine))  # noqa: E731
        score = matching.score_pair(primary, thresholds=thresholds, second=second)
        if template.kind == FaceTemplate.Kind.REFERENCE:
            reference_score = max(reference_score, primary)
        if best is None or score.score > best[0].score:
            best = (score, template)
    if best is None:
        raise ValueError("no templates to score against")
    return best[0], best[1], reference_score


def face_verify(
    *, actor: User, pensioner: Pensioner, image: bytes, method: str, request: HttpRequest | None = None
) -> VerifyOutcome:
    """One selfie for ``pensioner`` (by themselves or an approved relative: the view decides which).

    Submissions for one pensioner are taken one at a time (a named lock held across the analysis), so
    the daily caps, counted from stored attempts before the analysis, cannot be passed by sending
    many at once; nobody submits two selfies for the same person in parallel in good faith.
    """
    with session_lock(f"facecheck.verify:{pensioner.pk}"):
        return _face_verify(actor=actor, pensioner=pensioner, image=image, method=method, request=request)


def _face_verify(
    *, actor: User, pensioner: Pensioner, image: bytes, method: str, request: HttpRequest | None
) -> VerifyOutcome:
    if pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED or pensioner.deceased_on is not None:
        raise ApplicationError(
            _("This benefit has ended; no certification can be recorded."), code="benefit_ended", status_code=409
        )
    limit = _daily_limit()
    engine = face_engine()
    thresholds = engine.thresholds()
    base = _attempt_base(pensioner=pensioner, actor=actor, method=method, image=image)
    context = selectors.verification_context(pensioner=pensioner, sha256=base["image_sha256"], model_id=engine.model_id)
    compared = context.compared_today
    if selectors.certified_today(pensioner=pensioner):
        # Nothing to do: no attempt is spent and no second certification recorded. An app retrying the
        # upload that certified (lost answer) still gets that first answer back.
        previous = _previous_same_submission(actor=actor, context=context)
        if previous is None:
            raise ApplicationError(
                _already_certified_message(pensioner=pensioner, method=method),
                code="already_certified",
                status_code=409,
            )
        left = max(0, limit - compared)
        return VerifyOutcome(
            attempt=previous,
            message=_message(previous.result, left=left, pensioner=pensioner, method=method),
            attempts_left=left,
            certification=previous.certification,
            repeated=True,
        )
    if compared >= limit or context.submitted_today >= settings.FACECHECK_DAILY_SUBMISSIONS:
        _refuse_over_limit(pensioner=pensioner, actor=actor, method=method, image=image)
    templates = context.templates
    if not templates:
        if context.other_model_templates:
            raise ApplicationError(
                _(
                    "Face certification is being upgraded for your record. "
                    "Please try again tomorrow or certify on site."
                ),
                code="face_templates_outdated",
                status_code=503,
            )
        raise ApplicationError(
            _("There is no reference photo on file yet. Please certify on site; staff will take your photo."),
            code="face_not_enrolled",
            status_code=409,
        )
    # The reads above come first, on purpose: run beside the models they slowed both (the models take
    # both cores), and an unenrolled pensioner costs no inference at all.
    try:
        probe = engine.analyze_bytes(image)
    except FaceImageError as exc:
        FaceAttempt.objects.create(
            **base,
            result=FaceAttempt.Result.REFUSED,
            reason=exc.code,
            quality=exc.details,
            model_id=engine.model_id,
        )
        raise

    previous = _previous_same_submission(actor=actor, context=context)
    if previous is not None:
        left = max(0, limit - compared)
        return VerifyOutcome(
            attempt=previous,
            message=_message(previous.result, left=left, pensioner=pensioner, method=method),
            attempts_left=left,
            certification=previous.certification,
            repeated=True,
        )

    replay, replay_reason = _is_replay(probe, context)
    if replay == "replay":
        score, best, reference_score = None, None, None
        result = FaceAttempt.Result.REPLAY
        reason = replay_reason
    else:
        score, best, reference_score = _score_templates(engine, probe, templates, thresholds)
        decision = matching.decide(score, thresholds)
        result = {
            matching.ACCEPT: FaceAttempt.Result.ACCEPTED,
            matching.REVIEW: FaceAttempt.Result.REVIEW,
            matching.REJECT: FaceAttempt.Result.REJECTED,
        }[decision.outcome]
        reason = decision.reason
        if result == FaceAttempt.Result.ACCEPTED and reference_score < thresholds["reject"]:
            # Accepted only through an ageing template while far from the enrolled photo: a person checks.
            result, reason = FaceAttempt.Result.REVIEW, "reference_mismatch"
        if result == FaceAttempt.Result.ACCEPTED and replay == "suspect":
            result, reason = FaceAttempt.Result.REVIEW, replay_reason

    with transaction.atomic():
        locked = Pensioner.objects.select_for_update().get(pk=pensioner.pk)
        compared = selectors.compared_attempts_today(pensioner=locked)
        over_limit = compared >= limit
        if not over_limit:
            attempt, certification = _attempt_store(
                engine=engine,
                pensioner=locked,
                base=base,
                probe=probe,
                result=result,
                reason=reason,
                score=score,
                best=best,
                reference_score=reference_score,
                active_templates=templates,
                request=request,
            )
            left = max(0, limit - compared - 1)  # this attempt was compared too
    if over_limit:  # a concurrent submission used the last attempt while this one was analysed
        _refuse_over_limit(pensioner=pensioner, actor=actor, method=method, image=image)
    pensioner.next_due = locked.next_due
    return VerifyOutcome(
        attempt=attempt,
        message=_message(result, left=left, pensioner=locked, method=method),
        attempts_left=left,
        certification=certification,
    )


def _attempt_store(
    *,
    engine: FaceEngine,
    pensioner: Pensioner,
    base: dict[str, Any],
    probe: FaceResult,
    result: str,
    reason: str,
    score: matching.Score | None,
    best: FaceTemplate | None,
    reference_score: float | None,
    active_templates: list[FaceTemplate],
    request: HttpRequest | None,
) -> tuple[FaceAttempt, Certification | None]:
    """The attempt and its consequence, inside the caller's transaction (pensioner row locked)."""
    method = base["method"]
    attempt = FaceAttempt(
        **{**base, "pensioner": pensioner},
        result=result,
        reason=reason,
        score=score.score if score else None,
        primary_score=score.primary if score else None,
        second_score=score.second if score else None,
        reference_score=reference_score if reference_score is not None and reference_score > -1 else None,
        template=best,
        model_id=engine.model_id,
        quality=probe.quality.as_dict(),
        image_phash=to_signed(probe.image_phash),
        face_phash=to_signed(probe.face_phash),
        timings={k: round(v, 4) for k, v in probe.timings.items()},
    )
    if result != FaceAttempt.Result.REJECTED and probe.source_bgr is not None:
        # Kept for staff (review), as evidence (replay) or as an ageing template (accepted).
        attempt.photo.save("face.jpg", _jpeg(probe.source_bgr), save=False)
    certification = None
    if result == FaceAttempt.Result.ACCEPTED:
        certification = certification_record(
            pensioner=pensioner,
            method=method,
            recorded_by=base["actor"],
            evidence_ref=f"facecheck.attempt:{attempt.public_id}",
        )
        attempt.certification = certification
    attempt.save()
    if result == FaceAttempt.Result.REVIEW:
        attempt.case = case_open(
            pensioner=pensioner,
            category=Case.Category.FACE_REVIEW,
            source=Case.Source.FACE_CHECK,
            summary=_("A face certification needs a staff check."),
            details={"attempt": str(attempt.public_id), "reason": reason, "score": attempt.score, "method": method},
        )
        attempt.save(update_fields=["case"])
    if result == FaceAttempt.Result.ACCEPTED and reference_score is not None:
        _ageing_template_add(
            engine=engine,
            attempt=attempt,
            probe=probe,
            reference_score=reference_score,
            active=[t for t in active_templates if t.kind == FaceTemplate.Kind.AGEING],
        )
    audit_record(
        actor=base["actor"],
        action="facecheck.verify",
        target=attempt,
        request=request,
        details={"result": result, "reason": reason, "method": method, "score": attempt.score},
    )
    return attempt, certification


def _ageing_template_add(
    *, engine: FaceEngine, attempt: FaceAttempt, probe: FaceResult, reference_score: float, active: list[FaceTemplate]
) -> None:
    """Keep a recent accepted selfie as an extra template, only if it is close to the enrolled photo.

    Anchoring on the original reference (never on earlier ageing templates) means the set cannot
    drift, step by step, towards another face. The oldest ageing templates (``active``, as loaded
    for this comparison) are retired past the cap.
    """
    thresholds = engine.thresholds()
    needed = thresholds.get("ageing", thresholds["accept"] + 0.1)
    if reference_score < needed:
        return
    FaceTemplate.objects.create(
        pensioner=attempt.pensioner,
        kind=FaceTemplate.Kind.AGEING,
        source=FaceTemplate.Source.SELFIE,
        model_id=engine.model_id,
        embedding=_vector_bytes(probe.embedding),
        embedding_dim=engine.embedding_dim,
        photo=attempt.photo.name,
        photo_sha256=attempt.image_sha256,
        photo_phash=attempt.image_phash or 0,
        face_phash=attempt.face_phash or 0,
        quality={**attempt.quality, "reference_score": round(reference_score, 4)},
        attempt=attempt,
        enrolled_by=None,
        # No second-model embedding: computing it would add ~0.1-0.2 s to an accepted request; this
        # template then takes part in plain-cosine scoring only (fusion uses the reference's).
        second_model_id="",
        second_embedding=None,
    )
    keep = settings.FACECHECK_AGEING_MAX_TEMPLATES
    newest_first = sorted(active, key=lambda t: (t.created_at, t.pk), reverse=True)
    stale = [t.pk for t in newest_first[max(0, keep - 1) :]]
    if stale:
        FaceTemplate.objects.filter(pk__in=stale, is_active=True).update(is_active=False, retired_at=timezone.now())


# --- Model change ----------------------------------------------------------------------------


@dataclass
class ReembedReport:
    reembedded: int = 0
    already_current: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (template id, reason)


def face_templates_reembed(*, limit: int | None = None) -> ReembedReport:
    """Re-embed every active template of another model from its stored photo with the current model.

    The new template replaces the old one (same kind, ``derived_from`` the old); the old one is
    retired. A photo that fails the current pipeline is reported and its template left as it is:
    it is never compared (other model id) and the pensioner needs a new enrollment photo.
    """
    engine = face_engine()
    report = ReembedReport()
    outdated = FaceTemplate.objects.filter(is_active=True).exclude(model_id=engine.model_id).order_by("pk")
    if limit:
        outdated = outdated[:limit]
    for old in outdated.iterator(chunk_size=200):
        try:
            with old.photo.open("rb") as handle:
                data = handle.read()
        except (FileNotFoundError, ValueError):
            report.failed.append((old.pk, "photo_missing"))
            continue
        try:
            result, _bgr = _analyze_photo(engine, data)
        except FaceImageError as exc:
            report.failed.append((old.pk, exc.code))
            continue
        with transaction.atomic():
            current = FaceTemplate.objects.select_for_update().filter(pk=old.pk, is_active=True).first()
            if current is None:
                report.already_current += 1
                continue
            current.is_active = False
            current.retired_at = timezone.now()
            current.save(update_fields=["is_active", "retired_at"])
            new = FaceTemplate.objects.create(
                pensioner_id=current.pensioner_id,
                kind=current.kind,
                source=FaceTemplate.Source.REEMBED,
                model_id=engine.model_id,
                embedding=_vector_bytes(result.embedding),
                embedding_dim=engine.embedding_dim,
                photo=current.photo.name,
                photo_sha256=current.photo_sha256,
                photo_phash=current.photo_phash,
                face_phash=to_signed(result.face_phash),
                quality=result.quality.as_dict(),
                derived_from=current,
                attempt=current.attempt,
                enrolled_by=current.enrolled_by,
                **_second_fields(engine, result),
            )
            audit_record(
                actor=None,
                action="facecheck.reembed",
                target=new,
                details={"from_template": current.pk, "from_model": current.model_id, "model_id": engine.model_id},
            )
        report.reembedded += 1
    return report
