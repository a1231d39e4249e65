"""Proofs of life recorded by people (社会化服务认证): a home visit, the service counter, a consulate
life certificate. Recording opens (or joins) a case; the proof certifies only when two staff have
confirmed it on that case (受理 + 审核), and then the person gets the result SMS.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.selectors import CAPABILITIES, Capability, Relationship, relationships_to
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from backend.formats import plain_date
from casework import hooks
from casework.models import Case, EvidenceFile, ProofOfLife, VisitTask
from casework.rules import _ensure_duties_separated, _validate_event_date
from casework.services.cases import case_open
from casework.services.evidence import evidence_lock, evidence_resolve
from casework.services.notify import _person_sms
from selfservice.benefits import benefit_ended_guard
from selfservice.services import certification_record

#: The certification method each kind of proof records (a consulate certificate is checked by the
#: office like a document handed in at the counter; ``evidence_ref`` names the proof).
CERTIFICATION_METHOD: dict[str, str] = {
    ProofOfLife.Kind.ONSITE: "onsite",
    ProofOfLife.Kind.COUNTER: "counter",
    ProofOfLife.Kind.CONSULATE: "counter",
}
CASE_CATEGORY = {
    ProofOfLife.Kind.ONSITE: Case.Category.ONSITE_VISIT,
    ProofOfLife.Kind.COUNTER: Case.Category.ONSITE_VISIT,
    ProofOfLife.Kind.CONSULATE: Case.Category.LIFE_CERTIFICATE,
}
PROOF_CATEGORIES = frozenset(CASE_CATEGORY.values())


def _recorder_relationship(*, actor: User, pensioner: Pensioner, kind: str) -> Relationship:
    """Who may record: ``Capability.RECORD_VISIT`` (404 otherwise); counter and consulate proofs are
    the office's (staff only, 403); and everyone needs ``accounts.record_certification`` (403)."""
    relationships = relationships_to(actor=actor, pensioner=pensioner) & CAPABILITIES[Capability.RECORD_VISIT]
    if not relationships:
        raise NotFoundError()
    if kind != ProofOfLife.Kind.ONSITE and Relationship.STAFF not in relationships:
        raise ForbiddenError(
            _("Only social insurance office staff can record this."), code="staff_only", extra={"kind": kind}
        )
    if not actor.has_perm("accounts.record_certification"):
        raise ForbiddenError(_("You are not allowed to record certifications."), code="record_certification_required")
    _ensure_duties_separated(actor)
    for relationship in (Relationship.STAFF, Relationship.GRID_WORKER, Relationship.VILLAGE_ASSISTANT):
        if relationship in relationships:
            return relationship
    raise NotFoundError()  # pragma: no cover - RECORD_VISIT allows no other relationship


def _validate_proof(
    *, pensioner: Pensioner, kind: str, seen_on: datetime.date, consulate: str, valid_until: datetime.date | None
) -> None:
    today = timezone.localdate()
    _validate_event_date(day=seen_on, pensioner=pensioner, field="seen_on")
    if kind == ProofOfLife.Kind.CONSULATE:
        errors: dict[str, list[str]] = {}
        if not consulate.strip():
            errors["consulate"] = [_("Please give the consulate that issued the certificate.")]
        if valid_until is None or valid_until < today or valid_until < seen_on:
            errors["valid_until"] = [_("The certificate is no longer valid.")]
        if errors:
            message = next(iter(errors.values()))[0]
            raise ApplicationError(message, code="life_certificate_invalid", fields=errors)
        return
    oldest = today - datetime.timedelta(days=settings.CASEWORK_PROOF_MAX_AGE_DAYS)
    if seen_on < oldest:
        message = _("The visit was too long ago; please visit again and record it the same month.")
        raise ApplicationError(message, code="visit_too_old", fields={"seen_on": [message]})


def _one_evidence(*, actor: User, evidence_id: int) -> EvidenceFile:
    (evidence,) = evidence_resolve(actor=actor, evidence_ids=[evidence_id], field="evidence_id")
    if ProofOfLife.objects.filter(evidence=evidence).exists():
        message = _("This photo already backs another record. Each person needs their own photo.")
        raise ConflictError(message, code="evidence_already_used", fields={"evidence_id": [message]})
    return evidence


def _replay(*, actor: User, client_request_id: uuid.UUID, pensioner_id: int) -> ProofOfLife | None:
    existing = ProofOfLife.objects.filter(recorded_by=actor, client_request_id=client_request_id).first()
    if existing is not None and existing.pensioner_id != int(pensioner_id):
        raise ConflictError(_("This request id was already used for another submission."), code="request_id_reused")
    return existing


_SOURCE = {
    Relationship.STAFF: Case.Source.STAFF,
    Relationship.GRID_WORKER: Case.Source.SOCIAL_SERVICE,
    Relationship.VILLAGE_ASSISTANT: Case.Source.VILLAGE_REPORT,
}


def proof_of_life_record(
    *,
    actor: User,
    pensioner_id: int,
    kind: str,
    seen_on: datetime.date,
    evidence_id: int,
    client_request_id: uuid.UUID,
    place: str = "",
    consulate: str = "",
    document_no: str = "",
    document_valid_until: datetime.date | None = None,
    compare_face: bool = False,
    task: VisitTask | None = None,
    request: HttpRequest | None = None,
) -> tuple[ProofOfLife, bool]:
    """Record one proof for one person with one piece of evidence, waiting for two staff to confirm.

    Returns ``(proof, created)``; a retry with the same request id returns the first proof. The face
    comparison (when asked for, and only for photos) runs before the transaction and is a hint only.
    """
    replay = _replay(actor=actor, client_request_id=client_request_id, pensioner_id=pensioner_id)
    if replay is not None:
        return replay, False
    pensioner = Pensioner.objects.select_related("region").filter(pk=pensioner_id).first()
    if pensioner is None:
        raise NotFoundError()
    relationship = _recorder_relationship(actor=actor, pensioner=pensioner, kind=kind)
    benefit_ended_guard(pensioner)
    _validate_proof(
        pensioner=pensioner, kind=kind, seen_on=seen_on, consulate=consulate, valid_until=document_valid_until
    )
    if kind == ProofOfLife.Kind.ONSITE and not place.strip():
        message = _("Please say where you saw the person.")
        raise ApplicationError(message, code="invalid", fields={"place": [message]})
    evidence = _one_evidence(actor=actor, evidence_id=evidence_id)
    face_hint: dict[str, Any] = {}
    if compare_face and kind != ProofOfLife.Kind.CONSULATE and evidence.content_type != EvidenceFile.ContentType.PDF:
        face_hint = hooks.visit_face_compare(pensioner, evidence)
    try:
        with transaction.atomic():
            proof = _proof_store(
                actor=actor,
                pensioner=pensioner,
                relationship=relationship,
                fields={
                    "kind": kind,
                    "seen_on": seen_on,
                    "place": place.strip()[:200],
                    "consulate": consulate.strip()[:120],
                    "document_no": document_no.strip()[:60],
                    "document_valid_until": document_valid_until if kind == ProofOfLife.Kind.CONSULATE else None,
                    "evidence": evidence,
                    "face_hint": face_hint,
                    "client_request_id": client_request_id,
                },
                task=task,
                request=request,
            )
    except IntegrityError:
        replay = _replay(actor=actor, client_request_id=client_request_id, pensioner_id=pensioner_id)
        if replay is not None:
            return replay, False
        if ProofOfLife.objects.filter(pensioner=pensioner, status=ProofOfLife.Status.PENDING).exists():
            raise ConflictError(
                _("A record for this person is already waiting for staff confirmation."), code="proof_pending"
            ) from None
        raise ConflictError(
            _("This photo already backs another record. Each person needs their own photo."),
            code="evidence_already_used",
        ) from None
    return proof, True


def _proof_store(
    *,
    actor: User,
    pensioner: Pensioner,
    relationship: Relationship,
    fields: dict[str, Any],
    task: VisitTask | None,
    request: HttpRequest | None,
) -> ProofOfLife:
    kind = fields["kind"]
    evidence_lock([fields["evidence"]], field="evidence_id")
    proof = ProofOfLife.objects.create(pensioner=pensioner, recorded_by=actor, **fields)
    summary = (
        _("Life certificate from %(consulate)s issued on %(date)s")
        % {"consulate": fields["consulate"], "date": plain_date(fields["seen_on"])}
        if kind == ProofOfLife.Kind.CONSULATE
        else _("%(kind)s on %(date)s, to confirm")
        % {"kind": proof.get_kind_display(), "date": plain_date(fields["seen_on"])}
    )
    case = case_open(
        pensioner=pensioner,
        category=CASE_CATEGORY[kind],
        source=_SOURCE[relationship],
        opened_by=actor,
        summary=summary,
        details={
            "type": "proof_of_life",
            "proof_id": proof.pk,
            "kind": kind,
            "seen_on": fields["seen_on"].isoformat(),
            "recorded_by": actor.pk,
            "face_hint": fields["face_hint"],
        },
    )
    case.evidence.add(fields["evidence"])
    proof.case = case
    proof.save(update_fields=["case"])
    audit_record(
        actor=actor,
        action="proof_of_life.record",
        target=proof,
        details={
            "kind": kind,
            "case": case.pk,
            "evidence": fields["evidence"].pk,
            "face_hint": fields["face_hint"].get("status", ""),
            "task": task.pk if task else None,
        },
        request=request,
    )
    return proof


def _certified_at(proof: ProofOfLife) -> datetime.datetime:
    """When the person was seen: the moment of recording if that was the same day, else midday."""
    if timezone.localdate(proof.recorded_at) == proof.seen_on:
        return proof.recorded_at
    moment = datetime.datetime.combine(proof.seen_on, datetime.time(12, 0))
    return min(timezone.make_aware(moment), timezone.now())


def _pending_proof(case: Case) -> ProofOfLife | None:
    return ProofOfLife.objects.select_for_update().filter(case=case, status=ProofOfLife.Status.PENDING).first()


def _proof_certify(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """审核通过 of an on-site, counter or life-certificate case: the pending proof certifies."""
    proof = _pending_proof(case)
    if proof is None:
        raise ConflictError(
            _("There is no on-site or document record on this case yet; it cannot certify."),
            code="visit_record_required",
        )
    if actor.pk == proof.recorded_by_id:
        raise ForbiddenError(_("You recorded this visit; another person must review it."), code="maker_checker")
    certification = certification_record(
        pensioner=case.pensioner,
        method=CERTIFICATION_METHOD[proof.kind],
        recorded_by=proof.recorded_by,
        evidence_ref=f"casework.proof:{proof.pk}",
        certified_at=_certified_at(proof),
    )
    proof.status = ProofOfLife.Status.CERTIFIED
    proof.certification = certification
    proof.save(update_fields=["status", "certification"])
    audit_record(
        actor=actor,
        action="proof_of_life.certify",
        target=proof,
        details={"case": case.pk, "certification": certification.pk},
        request=request,
    )
    return {
        "proof_id": proof.pk,
        "certification_id": certification.pk,
        "method": certification.method,
        "certified_on": timezone.localdate(certification.certified_at).isoformat(),
    }


def _proof_reject(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """审核不通过: the proof does not count; the person hears how else to certify."""
    proof = _pending_proof(case)
    if proof is None:
        return {}
    proof.status = ProofOfLife.Status.REJECTED
    proof.save(update_fields=["status"])
    audit_record(actor=actor, action="proof_of_life.reject", target=proof, details={"case": case.pk}, request=request)
    values = {"date": plain_date(proof.seen_on), "hotline": settings.SERVICE_HOTLINE}
    _person_sms(
        pensioner_id=case.pensioner_id,
        reason=f"proof_rejected:{proof.pk}",
        own=_(
            "Your certification recorded on %(date)s could not be confirmed. Please certify by face in the app, "
            "ask your village or community to visit again, or go to a service counter with your ID card. "
            "Help: %(hotline)s"
        )
        % values,
        relative=lambda name: _(
            "The certification of %(name)s recorded on %(date)s could not be confirmed. Please help them certify "
            "by face in the app, or ask the village or community to visit again. Help: %(hotline)s"
        )
        % {**values, "name": name},
    )
    return {"proof_id": proof.pk, "proof_rejected": True}
