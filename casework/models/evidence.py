"""Evidence files: photos and scans checked by content, stored privately."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def evidence_upload_to(instance: EvidenceFile, filename: str) -> str:
    """Server-chosen name: the client's file name never reaches the file system."""
    now = timezone.now()
    return f"casework/evidence/{now:%Y/%m}/{uuid.uuid4().hex}.{instance.extension}"


class EvidenceFile(models.Model):
    """A photo or scan (death certificate, cremation certificate…) checked by content, stored privately.

    MEDIA_ROOT is never served by URL; staff read files through an API that checks scope.
    The same uploader sending the same bytes twice gets the first row back (retries are harmless).
    """

    class ContentType(models.TextChoices):
        JPEG = "image/jpeg", "JPEG"
        PNG = "image/png", "PNG"
        PDF = "application/pdf", "PDF"

    EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=evidence_upload_to, max_length=200)
    content_type = models.CharField(_("content type"), max_length=40, choices=ContentType.choices)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("original file name"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["uploaded_by", "sha256"], name="evidence_one_per_uploader_content"),
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_not_empty"),
            models.CheckConstraint(
                condition=Q(content_type__in=["image/jpeg", "image/png", "application/pdf"]),
                name="evidence_content_type_allowed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type} {self.size} B ({self.sha256[:10]})"

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, "bin")
