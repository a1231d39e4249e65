"""What deciding a face review or a moved-away case does for the person.

The selfie itself lives in the face app above casework; it tells us (``casework.hooks``) which
attempt a case is about, so approving certifies from that attempt (method and time of the selfie).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from backend.api.errors import ConflictError
from casework import hooks
from casework.models import Case
from casework.services.notify import _person_sms
from selfservice.services import certification_record


def _face_review_certify(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """审核通过 of a face review: the reviewed selfie counts, as of when it was taken."""
    attempt = hooks.face_review_attempt(case)
    if attempt is None:
        raise ConflictError(
            _("The face check this case is about cannot be found; it cannot certify."), code="face_attempt_unknown"
        )
    certification = certification_record(
        pensioner=case.pensioner,
        method=attempt.method,
        recorded_by=actor,
        evidence_ref=attempt.evidence_ref,
        certified_at=attempt.attempted_at,
    )
    audit_record(
        actor=actor,
        action="face_review.certify",
        target=case,
        details={"certification": certification.pk, "attempt": attempt.evidence_ref},
        request=request,
    )
    return {
        "certification_id": certification.pk,
        "method": certification.method,
        "certified_on": timezone.localdate(certification.certified_at).isoformat(),
    }


def _face_review_next_step(*, case: Case) -> dict[str, Any]:
    """审核不通过 of a face review: the person hears the other ways to certify."""
    hotline = settings.SERVICE_HOTLINE
    _person_sms(
        pensioner_id=case.pensioner_id,
        reason=f"face_review_rejected:{case.pk}",
        own=_(
            "Staff could not confirm your face photo. Other ways to certify: a linked relative can certify for "
            "you in the app; your village or community can visit you at home; or go to a service counter with "
            "your ID card. Help: %(hotline)s"
        )
        % {"hotline": hotline},
        relative=lambda name: _(
            "Staff could not confirm the face photo of %(name)s. A linked relative can certify in the app, the "
            "village or community can visit at home, or go to a service counter. Help: %(hotline)s"
        )
        % {"name": name, "hotline": hotline},
    )
    return {"next_step_sent": True}


def _moved_away_confirm(*, case: Case) -> dict[str, Any]:
    """The person lives elsewhere now: nothing is stopped (they may certify from anywhere); they are
    told how."""
    hotline = settings.SERVICE_HOTLINE
    _person_sms(
        pensioner_id=case.pensioner_id,
        reason=f"moved_away:{case.pk}",
        own=_(
            "We understand you now live elsewhere. You can certify by face in the app from anywhere, or at any "
            "social insurance service counter. Help: %(hotline)s"
        )
        % {"hotline": hotline},
        relative=lambda name: _(
            "We understand %(name)s now lives elsewhere. They can certify by face in the app from anywhere, or "
            "at any social insurance service counter. Help: %(hotline)s"
        )
        % {"name": name, "hotline": hotline},
    )
    return {"moved_away": True}
