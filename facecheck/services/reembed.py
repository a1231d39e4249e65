"""Model change: re-embedding the active templates from their stored photos."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from facecheck.engine.errors import FaceImageError
from facecheck.engine.phash import to_signed
from facecheck.models import FaceTemplate
from facecheck.services.common import _analyze_photo, _second_fields, _vector_bytes, face_engine


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
