"""Photos and scans attached to reports and cases: checked by content, stored privately."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.http import HttpRequest
from django.utils import timezone
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


def _decode_bytes_estimate(mode: str, size: tuple[int, int]) -> int:
    """How much memory the decoded pixels take (bands x bytes per sample x pixels)."""
    from PIL import Image

    bands = Image.getmodebands(mode)
    sample = 2 if "16" in mode else 4 if mode in ("I", "F") else 1
    return size[0] * size[1] * bands * sample


#: What may follow 0xFF inside or right after a JPEG scan: a stuffed zero, a restart marker, the next
#: table or scan of a progressive file, the end of image, or fill bytes.
_JPEG_SCAN_FOLLOWERS = frozenset({0x00, *range(0xD0, 0xD8), 0xD9, 0xDA, 0xC4, 0xDB, 0xDD, 0xFF})


def _jpeg_scans_well_formed(upload: UploadedFile[bytes]) -> bool:
    """libjpeg decodes junk after a valid header without an error (it pads and warns), so the scan data
    is checked the way the format defines it: from the first start-of-scan to the end-of-image marker,
    every 0xFF is followed by a byte the format allows there. Junk has an 0xFF every ~256 bytes."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    position = data.find(b"\xff\xda")
    if position < 0 or position + 3 >= len(data):
        return False
    position += int.from_bytes(data[position + 2 : position + 4], "big")  # past the scan header
    while True:
        position = data.find(b"\xff", position + 2)
        if position < 0 or position + 1 >= len(data):
            return False  # the end of image never came: truncated
        follower = data[position + 1]
        if follower == 0xD9:
            return True
        if follower not in _JPEG_SCAN_FOLLOWERS:
            return False
        if follower in (0xDA, 0xC4, 0xDB, 0xDD) and position + 3 < len(data):
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big") - 2  # skip the segment


def _verify_image(upload: UploadedFile[bytes]) -> bool:
    """Decode every pixel, so a JPEG header glued to junk or a truncated photo is refused.

    Memory stays bounded: a JPEG is decoded at a reduced scale (``draft``; every byte of the stream
    is still read and checked), anything whose decoded size would exceed
    ``CASEWORK_EVIDENCE_MAX_DECODE_BYTES`` is refused before a pixel is decoded.
    """
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            if image.format == "JPEG" and not _jpeg_scans_well_formed(upload):
                return False
            if image.format == "JPEG":
                image.draft("RGB", (1024, 1024))
            if _decode_bytes_estimate(image.mode, image.size) > settings.CASEWORK_EVIDENCE_MAX_DECODE_BYTES:
                return False
            image.load()
    except Exception:  # any decoder error (truncated, corrupt, too many pixels) means "not a usable image"
        return False
    finally:
        upload.seek(0)
    return True


def _verify_pdf(upload: UploadedFile[bytes]) -> bool:
    """Parse the PDF's structure (pypdf): cross-reference table or stream, trailer, catalog, and a page
    tree with at least one page. A ``%PDF-`` header and an ``%%EOF`` around junk is refused."""
    import logging

    from pypdf import PdfReader

    upload.seek(0)
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        return False
    pypdf_logger = logging.getLogger("pypdf")
    previous = pypdf_logger.disabled
    pypdf_logger.disabled = True  # its warnings about repaired files are not ours to log
    try:
        reader = PdfReader(upload, strict=False)
        pages = len(reader.pages)
        if pages < 1 or pages > settings.CASEWORK_EVIDENCE_MAX_PDF_PAGES:
            return False
        reader.pages[0].mediabox  # noqa: B018 - reading it parses the first page object
    except Exception:  # any parser error means "not a usable PDF"
        return False
    finally:
        pypdf_logger.disabled = previous
        upload.seek(0)
    return True


def _quota_check(*, uploaded_by: User, size: int) -> None:
    """Refuse (429) beyond the uploader's daily count or bytes; the uploader's row is locked so parallel
    uploads are counted one after the other. Called inside the upload's transaction."""
    User.objects.select_for_update().filter(pk=uploaded_by.pk).first()
    day_start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    today = EvidenceFile.objects.filter(uploaded_by=uploaded_by, created_at__gte=day_start).aggregate(
        files=Count("pk"), size=Sum("size")
    )
    files, used = today["files"] or 0, today["size"] or 0
    too_many = files + 1 > settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES
    if too_many or used + size > settings.CASEWORK_EVIDENCE_DAILY_MAX_BYTES:
        message = _("You have reached today's upload limit. Please try again tomorrow.")
        raise ApplicationError(
            message,
            code="evidence_quota_exceeded",
            status_code=429,
            fields={"file": [message]},
            extra={
                "daily_max_files": settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES,
                "daily_max_bytes": settings.CASEWORK_EVIDENCE_DAILY_MAX_BYTES,
            },
        )


@transaction.atomic
def evidence_upload(
    *, uploaded_by: User, upload: UploadedFile[bytes], request: HttpRequest | None = None
) -> EvidenceFile:
    """Check a photo or scan by its content and size, then store it privately under MEDIA_ROOT.

    The same uploader sending the same bytes again gets the first record back (not counted again
    against the daily quota); a new file is checked against the quota before its content is decoded.
    """
    if upload.size is None or upload.size == 0:
        raise ApplicationError(
            _("The file is empty."), code="evidence_empty", fields={"file": [_("The file is empty.")]}
        )
    max_bytes = settings.CASEWORK_EVIDENCE_MAX_BYTES
    if upload.size > max_bytes:
        message = _("The file is too large; the limit is %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}
        raise ApplicationError(message, code="evidence_too_large", status_code=413, fields={"file": [message]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    existing = EvidenceFile.objects.filter(uploaded_by=uploaded_by, sha256=sha256).first()
    if existing is not None:
        return existing
    _quota_check(uploaded_by=uploaded_by, size=upload.size)
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


def evidence_lock(evidence: Sequence[EvidenceFile], *, field: str = "evidence_ids") -> None:
    """Lock the uploads about to be attached, inside the attaching transaction, and check they still exist.

    The orphan purge (``casework.retention.evidence_orphans_purge``) deletes only rows it can lock without
    waiting and that are still unattached once locked. With this lock held until the attachment commits,
    either the purge skips the upload (it is attached by the time anyone can lock it again) or the purge
    locked it first, this waits, finds it gone and asks for a new upload: never a link to a deleted file.
    """
    ids = sorted({e.pk for e in evidence})
    if not ids:
        return
    locked = EvidenceFile.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    if len(list(locked.values_list("pk", flat=True))) != len(ids):
        message = _("Some attached files were not found. Please upload them again.")
        raise ApplicationError(message, code="evidence_not_found", fields={field: [message]})


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
