from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

OPEN_STATUSES = ("open", "accepted")


class Case(models.Model):
    """One person to verify (待核实人员) for one reason, worked through two-level approval."""

    class Category(models.TextChoices):
        SUSPECTED_DEATH = "suspected_death", _("suspected death")
        IMPRISONED = "imprisoned", _("imprisoned")
        MISSING = "missing", _("missing")
        LOST_NATIONALITY = "lost_nationality", _("lost nationality")
        DUPLICATE_RECEIPT = "duplicate_receipt", _("duplicate receipt")
        DUPLICATE_FACE = "duplicate_face", _("same face under another identity")
        FACE_REVIEW = "face_review", _("face check needs review")
        ONSITE_VISIT = "onsite_visit", _("on-site visit")
        RESUMPTION = "resumption", _("benefit resumption")

    class Source(models.TextChoices):
        RELATIVE = "relative", _("relative")
        VILLAGE_REPORT = "village_report", _("village report")
        STAFF = "staff", _("staff")
        DATA_COMPARISON = "data_comparison", _("data comparison")
        FACE_CHECK = "face_check", _("face check")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted by a caseworker")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        CLOSED = "closed", _("closed")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="cases"
    )
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["pensioner", "category"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_one_open_per_category",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} ({self.get_status_display()})"
