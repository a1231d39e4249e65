"""Cases to verify, their notes, and death reports."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .evidence import EvidenceFile

OPEN_STATUSES = ("open", "accepted")


class Case(models.Model):
    """One person to verify (待核实人员) for one reason, worked through two-level approval.

    ``status`` changes only through casework.services (open → accepted → approved/rejected → closed).
    """

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
        LIFE_CERTIFICATE = "life_certificate", _("consulate life certificate")
        MOVED_AWAY = "moved_away", _("moved away")
        DATA_QUALITY = "data_quality", _("data quality (possible identity misuse)")

    class Source(models.TextChoices):
        RELATIVE = "relative", _("relative")
        VILLAGE_REPORT = "village_report", _("village report")
        STAFF = "staff", _("staff")
        DATA_COMPARISON = "data_comparison", _("data comparison")
        FACE_CHECK = "face_check", _("face check")
        SOCIAL_SERVICE = "social_service", _("grid worker or social-service staff")

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
    # Two-level approval: who did each step, so maker-checker is checkable after the fact too.
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    requires_city_review = models.BooleanField(
        _("needs city-level review"),
        default=False,
        help_text=_("Resumption after more than 12 months of suspension is approved at city level or above."),
    )
    evidence = models.ManyToManyField(EvidenceFile, verbose_name=_("evidence"), blank=True, related_name="cases")

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
            models.CheckConstraint(
                condition=Q(status="open") | Q(accepted_by__isnull=False),
                name="case_accepted_before_later_steps",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "rejected", "closed"]) | Q(decided_by__isnull=False),
                name="case_reviewed_before_decision",
            ),
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("accepted_by")),
                name="case_maker_is_not_checker",
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="case_status_deadline_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_category_display()} ({self.get_status_display()})"


class CaseNote(models.Model):
    """A verification step or remark on a case; appended, never edited."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    text = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:40]


class DeathReport(models.Model):
    """A death reported by a relative, the village assistant or staff (死亡报告).

    ``client_request_id`` is generated by the app: a retried submission returns this row.
    """

    class Capacity(models.TextChoices):
        RELATIVE = "relative", _("relative")
        VILLAGE_ASSISTANT = "village_assistant", _("village assistant")
        GRID_WORKER = "grid_worker", _("grid worker or social-service staff")
        STAFF = "staff", _("staff")

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("son or daughter")
        CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("brother or sister")
        OTHER_RELATIVE = "other", _("other relative")
        VILLAGE_ASSISTANT = "village_assistant", _("village assistant")
        GRID_WORKER = "grid_worker", _("grid worker or social-service staff")
        STAFF = "staff", _("staff")
        NEIGHBOUR = "neighbour", _("neighbour or acquaintance")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="death_reports"
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reporter"), on_delete=models.PROTECT, related_name="death_reports"
    )
    capacity = models.CharField(_("reported as"), max_length=20, choices=Capacity.choices)
    relationship = models.CharField(_("relationship to the deceased"), max_length=20, choices=Relationship.choices)
    date_of_death = models.DateField(_("date of death"))
    place = models.CharField(_("place of death"), max_length=200)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    client_request_id = models.UUIDField(_("client request id"))
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="death_reports")
    evidence = models.ManyToManyField(
        EvidenceFile, verbose_name=_("evidence"), blank=True, related_name="death_reports"
    )
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("death report")
        verbose_name_plural = _("death reports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["reporter", "client_request_id"], name="death_report_idempotent"),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} † {self.date_of_death}"
