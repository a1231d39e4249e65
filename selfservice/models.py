from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Certification(models.Model):
    """One proof that a pensioner was alive and entitled at ``certified_at``.

    Rows are never edited: a correction is a new row. ``valid_until`` is what this proof grants;
    the pensioner's ``next_due`` is the maximum over all of them (rolled forward, never back).
    """

    class Method(models.TextChoices):
        SILENT = "silent", _("silent certification from data comparison")
        FACE = "face", _("face self-certification")
        PROXY_FACE = "proxy_face", _("face certification by a relative")
        ONSITE = "onsite", _("on-site certification")
        COUNTER = "counter", _("certification at the service counter")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="certifications"
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    certified_at = models.DateTimeField(_("certified at"))
    valid_until = models.DateField(_("valid until"))
    evidence_ref = models.CharField(_("evidence reference"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True, on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["-certified_at", "-id"]
        indexes = [models.Index(fields=["pensioner", "-certified_at"], name="cert_pensioner_time_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(method__in=["silent", "face", "proxy_face", "onsite", "counter"]),
                name="certification_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.get_method_display()} {self.certified_at:%Y-%m-%d}"
