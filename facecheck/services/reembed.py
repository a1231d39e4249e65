"""Model change: re-embedding the active templates from their stored photos."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.services import audit_record
from facecheck.engine.errors import FaceImageError
from facecheck.engine.phash import to_signed
from facecheck.engine.pipeline import FaceEngine, FaceResult
from facecheck.models import FaceTemplate
from facecheck.services.common import _analyze_photo, _other_model_fields, _vector_bytes, face_engine


@dataclass
class ReembedReport:
    reembedded: int = 0
    already_current: int = 0
    filled: int = 0  # templates of the current model that got a missing fusion/second-model embedding
    failed: list[tuple[int, str]] = field(default_factory=list)  # (template id, reason)


def face_templates_reembed(*, limit: int | None = None) -> ReembedReport:
    """Re-embed every active template of another model from its stored photo with the current model.

    The new template replaces the old one (same kind, ``derived_from`` the old); the old one is
    retired. A photo that fails the current pipeline is reported and its template left as it is:
    it is never compared (other model id) and the pensioner needs a new enrollment photo.

    Templates of the current model that lack the embedding of a configured fusion or second recogniser
    (stored before that model came, or by another model pack) get it filled in place from the same photo.
    """
    engine = face_engine()
    report = ReembedReport()
    outdated = FaceTemplate.objects.filter(is_active=True).exclude(model_id=engine.model_id).order_by("pk")
    if limit:
        outdated = outdated[:limit]
    for old in outdated.iterator(chunk_size=200):
        result = _analyze_template_photo(engine, old, report)
        if result is None:
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
                **_other_model_fields(engine, result),
            )
            audit_record(
                actor=None,
                action="facecheck.reembed",
                target=new,
                details={"from_template": current.pk, "from_model": current.model_id, "model_id": engine.model_id},
            )
        report.reembedded += 1
    _fill_other_models(engine, report, limit=limit)
    return report


def _analyze_template_photo(engine: FaceEngine, template: FaceTemplate, report: ReembedReport) -> FaceResult | None:
    """The template's stored photo through the current pipeline; a failure is reported, not raised."""
    try:
        with template.photo.open("rb") as handle:
            data = handle.read()
    except (FileNotFoundError, ValueError):
        report.failed.append((template.pk, "photo_missing"))
        return None
    try:
        result, _bgr = _analyze_photo(engine, data)
    except FaceImageError as exc:
        report.failed.append((template.pk, exc.code))
        return None
    return result


def _missing_other_models(engine: FaceEngine) -> QuerySet[FaceTemplate]:
    current = FaceTemplate.objects.filter(is_active=True, model_id=engine.model_id)
    missing = Q(pk__in=[])
    if engine.pack.fusion_file is not None:
        missing |= ~Q(fusion_model_id=engine.fusion_model_id) | Q(fusion_embedding__isnull=True)
    if engine.pack.second_file is not None:
        missing |= ~Q(second_model_id=engine.pack.second_file.model_id) | Q(second_embedding__isnull=True)
    return current.filter(missing).order_by("pk")


def _fill_other_models(engine: FaceEngine, report: ReembedReport, *, limit: int | None) -> None:
    """The fusion (and second) recogniser's embedding for current-model templates that lack it."""
    todo = _missing_other_models(engine)
    if limit:
        todo = todo[:limit]
    for old in todo.iterator(chunk_size=200):
        result = _analyze_template_photo(engine, old, report)
        if result is None:
            continue
        fields = _other_model_fields(engine, result)
        with transaction.atomic():
            current = FaceTemplate.objects.select_for_update().filter(pk=old.pk, is_active=True).first()
            if current is None:
                report.already_current += 1
                continue
            for name, value in fields.items():
                setattr(current, name, value)
            current.save(update_fields=list(fields))
            audit_record(
                actor=None,
                action="facecheck.reembed",
                target=current,
                details={"filled": sorted(k for k in fields if k.endswith("_model_id") and fields[k])},
            )
        report.filled += 1
