"""Face templates (reference embeddings with provenance) and every verification attempt.

Photos live in the default storage under MEDIA_ROOT (encrypted, backend.storage), which is never served
by URL; staff in scope read them through facecheck's API. Embeddings are float32 bytes, encrypted in the
column (backend.fields.EncryptedBinaryField), tagged with the id of the model that produced them: rows of
another model are never compared with a new embedding.
"""

from __future__ import annotations

import uuid

import numpy as np
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.fields import EncryptedBinaryField


def template_photo_upload_to(instance: FaceTemplate, filename: str) -> str:
    return f"facecheck/templates/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


def attempt_photo_upload_to(instance: FaceAttempt, filename: str) -> str:
    return f"facecheck/attempts/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.jpg"


class FaceTemplate(models.Model):
    """One reference embedding of a pensioner's face.

    ``reference`` templates come from an enrolled photo (staff upload, ID-photo import, or the
    re-embedding of such a photo under a new model); ``ageing`` templates are recent selfies
    added after a confident accept that also matched the reference well. Re-enrollment retires
    the previous templates (``is_active=False``) instead of deleting them.
    """

    class Kind(models.TextChoices):
        REFERENCE = "reference", _("enrolled reference photo")
        AGEING = "ageing", _("recent selfie (ageing)")

    class Source(models.TextChoices):
        ENROLLMENT = "enrollment", _("uploaded by staff")
        IMPORT = "import", _("imported ID photo")
        SELFIE = "selfie", _("accepted selfie")
        REEMBED = "reembed", _("re-embedded for a new model")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="face_templates"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=12, choices=Source.choices)
    model_id = models.CharField(_("model"), max_length=120, db_index=True)
    embedding = EncryptedBinaryField(_("embedding"))
    embedding_dim = models.PositiveSmallIntegerField(_("embedding size"))
    second_model_id = models.CharField(_("second model"), max_length=120, blank=True)
    second_embedding = EncryptedBinaryField(_("second embedding"), null=True, blank=True)
    # The fusion recogniser's embedding (every request is scored with it), stored as ``embedding`` is.
    fusion_model_id = models.CharField(_("fusion model"), max_length=120, blank=True)
    fusion_embedding = EncryptedBinaryField(_("fusion embedding"), null=True, blank=True)
    photo = models.FileField(_("photo"), upload_to=template_photo_upload_to, max_length=200)
    photo_sha256 = models.CharField(_("photo SHA-256"), max_length=64, db_index=True)
    photo_phash = models.BigIntegerField(_("photo perceptual hash"))
    face_phash = models.BigIntegerField(_("face perceptual hash"))
    quality = models.JSONField(_("quality figures"), default=dict)
    is_active = models.BooleanField(_("active"), default=True)
    derived_from = models.ForeignKey(
        "self", verbose_name=_("derived from"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    attempt = models.ForeignKey(
        "FaceAttempt",
        verbose_name=_("from attempt"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    enrolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("enrolled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("face template")
        verbose_name_plural = _("face templates")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pensioner", "model_id", "is_active"], name="facetemplate_lookup_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["pensioner", "model_id"],
                condition=Q(is_active=True, kind="reference"),
                name="facetemplate_one_active_reference",
            ),
            models.CheckConstraint(condition=Q(embedding_dim__gt=0), name="facetemplate_dim_positive"),
            models.CheckConstraint(condition=Q(kind__in=["reference", "ageing"]), name="facetemplate_kind_valid"),
            models.CheckConstraint(
                condition=Q(is_active=True, retired_at__isnull=True) | Q(is_active=False, retired_at__isnull=False),
                name="facetemplate_retired_iff_inactive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.kind} {self.model_id}"

    @property
    def vector(self) -> np.ndarray:
        return np.frombuffer(bytes(self.embedding), dtype=np.float32)

    @property
    def second_vector(self) -> np.ndarray | None:
        return None if self.second_embedding is None else np.frombuffer(bytes(self.second_embedding), dtype=np.float32)

    @property
    def fusion_vector(self) -> np.ndarray | None:
        return None if self.fusion_embedding is None else np.frombuffer(bytes(self.fusion_embedding), dtype=np.float32)


class FaceAttempt(models.Model):
    """One selfie submitted for a pensioner, whatever became of it (stored before the answer)."""

    class Result(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        REVIEW = "review", _("sent to staff review")
        REJECTED = "rejected", _("rejected")
        REPLAY = "replay", _("rejected: an earlier photo was resubmitted")
        REFUSED = "refused", _("photo unusable")
        LIMITED = "limited", _("refused: daily attempt limit reached")

    COMPARED = (Result.ACCEPTED, Result.REVIEW, Result.REJECTED, Result.REPLAY)

    class Method(models.TextChoices):
        FACE = "face", _("face self-certification")
        PROXY_FACE = "proxy_face", _("face certification by a relative")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="face_attempts"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(_("method"), max_length=12, choices=Method.choices)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices)
    reason = models.CharField(_("reason code"), max_length=40, blank=True)
    score = models.FloatField(_("decision score"), null=True, blank=True)
    primary_score = models.FloatField(_("cosine similarity"), null=True, blank=True)
    second_score = models.FloatField(_("second model similarity"), null=True, blank=True)
    fusion_score = models.FloatField(_("fusion model similarity"), null=True, blank=True)
    reference_score = models.FloatField(_("similarity to the enrolled photo"), null=True, blank=True)
    template = models.ForeignKey(
        FaceTemplate, verbose_name=_("best template"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    model_id = models.CharField(_("model"), max_length=120, blank=True)
    quality = models.JSONField(_("quality figures"), default=dict, blank=True)
    image_sha256 = models.CharField(_("image SHA-256"), max_length=64, blank=True, db_index=True)
    image_phash = models.BigIntegerField(_("image perceptual hash"), null=True, blank=True)
    face_phash = models.BigIntegerField(_("face perceptual hash"), null=True, blank=True)
    image_size = models.PositiveIntegerField(_("upload size (bytes)"), default=0)
    photo = models.FileField(_("photo"), upload_to=attempt_photo_upload_to, max_length=200, blank=True)
    certification = models.ForeignKey(
        "selfservice.Certification",
        verbose_name=_("certification"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "casework.Case",
        verbose_name=_("review case"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    timings = models.JSONField(_("timings (s)"), default=dict, blank=True)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("face attempt")
        verbose_name_plural = _("face attempts")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pensioner", "-created_at"], name="faceattempt_pensioner_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(result__in=["accepted", "review", "rejected", "replay", "refused", "limited"]),
                name="faceattempt_result_valid",
            ),
            models.CheckConstraint(condition=Q(method__in=["face", "proxy_face"]), name="faceattempt_method_valid"),
            models.CheckConstraint(
                condition=~Q(result="accepted") | Q(certification__isnull=False),
                name="faceattempt_accepted_has_certification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.result} {self.created_at:%Y-%m-%d %H:%M}"


class DuplicateFinding(models.Model):
    """Two pensioners' templates that look like the same face; recorded once per pair of templates."""

    template_a = models.ForeignKey(FaceTemplate, on_delete=models.PROTECT, related_name="+")
    template_b = models.ForeignKey(FaceTemplate, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField(_("cosine similarity"))
    model_id = models.CharField(_("model"), max_length=120)
    case = models.ForeignKey(
        "casework.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("duplicate face finding")
        verbose_name_plural = _("duplicate face findings")
        constraints = [
            models.UniqueConstraint(fields=["template_a", "template_b"], name="duplicatefinding_pair_once"),
            models.CheckConstraint(condition=Q(template_a__lt=models.F("template_b")), name="duplicatefinding_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.template_a_id}~{self.template_b_id} {self.score:.3f}"
