"""Enrollment of a reference photo: quality gates, template, history kept, duplicate-face check."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import Pensioner, User
from accounts.services import audit_record
from facecheck.engine.phash import to_signed
from facecheck.models import FaceTemplate
from facecheck.services.common import _analyze_photo, _jpeg, _other_model_fields, _vector_bytes, face_engine
from facecheck.services.duplicates import face_duplicates_check


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
        **_other_model_fields(engine, result),
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
