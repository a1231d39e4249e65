"""Verification of a selfie: limits, replay checks, scoring, the attempt and its consequences.

Order inside a verification: the photo is analysed outside any transaction (100+ ms of inference must
not hold row locks), then one short transaction locks the pensioner row, re-checks the daily limit and
stores the attempt together with its consequence (certification, review case, ageing template) before
the answer leaves.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from backend.formats import plain_date
from backend.locks import session_lock
from casework.models import Case
from casework.services import case_open
from facecheck import selectors
from facecheck.engine import matching
from facecheck.engine.errors import FaceImageError
from facecheck.engine.phash import hamming, to_signed, to_unsigned
from facecheck.engine.pipeline import FaceEngine, FaceResult
from facecheck.models import FaceAttempt, FaceTemplate
from facecheck.services.common import _jpeg, _other_model_fields, _vector_bytes, face_engine
from selfservice.models import Certification
from selfservice.services import certification_record


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
    fusion_id = engine.fusion_model_id
    best: tuple[matching.Score, FaceTemplate] | None = None
    reference_score = -1.0
    for template in templates:
        primary = float(template.vector @ probe.embedding)
        second_vector = template.second_vector if template.second_model_id == second_id else None
        second: Callable[[], float] | None = None
        if second_vector is not None:
            second = lambda v=second_vector: float(v @ probe.second(engine))  # noqa: E731
        # A template without this fusion model's embedding (stored before it came, not yet re-embedded)
        # is scored by matching.score_pair's safe rule: never certified on a weaker score than calibrated.
        fusion_vector = template.fusion_vector if fusion_id and template.fusion_model_id == fusion_id else None
        fusion = None
        if fusion_vector is not None and probe.fusion_embedding is not None:
            fusion = float(fusion_vector @ probe.fusion_embedding)
        score = matching.score_pair(primary, thresholds=thresholds, second=second, fusion=fusion)
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
        fusion_score=score.fusion if score else None,
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
        # Every configured model's embedding, so the ageing template is scored like the reference. The
        # fusion embedding is the probe's own (computed on every request); the band model's costs one more
        # run only when that model is configured and was not asked for this attempt.
        **_other_model_fields(engine, probe),
    )
    keep = settings.FACECHECK_AGEING_MAX_TEMPLATES
    newest_first = sorted(active, key=lambda t: (t.created_at, t.pk), reverse=True)
    stale = [t.pk for t in newest_first[max(0, keep - 1) :]]
    if stale:
        FaceTemplate.objects.filter(pk__in=stale, is_active=True).update(is_active=False, retired_at=timezone.now())
