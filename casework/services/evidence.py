"""Photos and scans attached to reports and cases: checked by content, stored privately."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from casework.models import (
    EvidenceFile,
)

_SNIFF_BYTES = 4096


def _sniff_content_type(head: bytes) -> str:
    """The type the bytes say they are (libmagic), whatever the file is called."""
    import magic

    try:
        return magic.from_buffer(head, mime=True)
    except Exception:  # unreadable bytes are simply not an allowed type
        return "application/octet-stream"


def _verify_image(upload: UploadedFile[bytes]) -> bool:
    """Decode the image structure, so a JPEG header glued to junk is refused too."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:  # any decoder error means "not a usable image"
        return False
    finally:
        upload.seek(0)
    return True


def _verify_pdf(upload: UploadedFile[bytes]) -> bool:
    upload.seek(0)
    head = upload.read(5)
    upload.seek(max(0, (upload.size or 0) - 1024))
    tail = upload.read()
    upload.seek(0)
    return head == b"%PDF-" and b"%%EOF" in tail


@transaction.atomic
def evidence_upload(
    *, uploaded_by: User, upload: UploadedFile[bytes], request: HttpRequest | None = None
) -> EvidenceFile:
    """Check a photo or scan by its content and size, then store it privately under MEDIA_ROOT.

    The same uploader sending the same bytes again gets the first record back.
    """
    if upload.size is None or upload.size == 0:
        raise ApplicationError(
            _("The file is empty."), code="evidence_empty", fields={"file": [_("The file is empty.")]}
        )
    max_bytes = settings.CASEWORK_EVIDENCE_MAX_BYTES
    if upload.size > max_bytes:
        message = _("The file is too large; the limit is %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}
        raise ApplicationError(message, code="evidence_too_large", status_code=413, fields={"file": [message]})
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    content_type = _sniff_content_type(head)
    allowed = dict(EvidenceFile.ContentType.choices)
    valid = content_type in allowed and (
        _verify_pdf(upload) if content_type == EvidenceFile.ContentType.PDF else _verify_image(upload)
    )
    if not valid:
        message = _("Only photos (JPEG, PNG) or PDF scans can be uploaded.")
        raise ApplicationError(message, code="evidence_type_not_allowed", status_code=415, fields={"file": [message]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    existing = EvidenceFile.objects.filter(uploaded_by=uploaded_by, sha256=sha256).first()
    if existing is not None:
        return existing
    upload.seek(0)
    evidence = EvidenceFile(
        uploaded_by=uploaded_by,
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        original_name=os.path.basename(upload.name or "")[:120],
    )
    evidence.file.save("evidence", upload, save=False)
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError:  # the same bytes raced in twice: keep the first, drop our copy
        evidence.file.delete(save=False)
        return EvidenceFile.objects.get(uploaded_by=uploaded_by, sha256=sha256)
    audit_record(
        actor=uploaded_by,
        action="evidence.upload",
        target=evidence,
        details={"content_type": content_type, "size": evidence.size, "sha256": sha256},
        request=request,
    )
    return evidence


def evidence_resolve(*, actor: User, evidence_ids: Sequence[int], field: str = "evidence_ids") -> list[EvidenceFile]:
    """The actor's own uploads; anything else is reported as not found (never someone else's file)."""
    ids = list(dict.fromkeys(evidence_ids or ()))
    if len(ids) > settings.CASEWORK_EVIDENCE_MAX_FILES:
        message = _("At most %(count)d files can be attached.") % {"count": settings.CASEWORK_EVIDENCE_MAX_FILES}
        raise ApplicationError(message, code="too_many_files", fields={field: [message]})
    found = list(EvidenceFile.objects.filter(pk__in=ids, uploaded_by=actor))
    if len(found) != len(ids):
        message = _("Some attached files were not found. Please upload them again.")
        raise ApplicationError(message, code="evidence_not_found", fields={field: [message]})
    return found
