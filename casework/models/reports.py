"""Villages' monthly reports (月报) and their items."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .evidence import EvidenceFile


class MonthlyReport(models.Model):
    """A village's monthly report (月报) for ``period``; a zero report says "nothing happened".

    Amending creates version n+1 and marks the previous one not current; nothing is overwritten.
    ``first_submitted_at`` is copied to every version so lateness is judged on the first filing.
    """

    village = models.ForeignKey(
        "accounts.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="monthly_reports"
    )
    period = models.DateField(_("month"), help_text=_("First day of the month reported on."))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    is_current = models.BooleanField(_("current version"), default=True)
    is_zero = models.BooleanField(_("zero report"), default=False)
    supersedes = models.OneToOneField(
        "self",
        verbose_name=_("amends"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    note = models.TextField(_("note"), max_length=1000, blank=True)
    due_on = models.DateField(_("due on"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    first_submitted_at = models.DateTimeField(_("first submitted at"))
    client_request_id = models.UUIDField(_("client request id"))

    class Meta:
        verbose_name = _("monthly village report")
        verbose_name_plural = _("monthly village reports")
        ordering = ["-period", "village__code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["village", "period", "version"], name="monthly_report_version_unique"),
            models.UniqueConstraint(
                fields=["village", "period"], condition=Q(is_current=True), name="monthly_report_one_current"
            ),
            models.UniqueConstraint(fields=["submitted_by", "client_request_id"], name="monthly_report_idempotent"),
            models.CheckConstraint(condition=Q(version__gte=1), name="monthly_report_version_positive"),
            models.CheckConstraint(condition=Q(period__day=1), name="monthly_report_period_first_day"),
        ]
        indexes = [models.Index(fields=["period", "is_current"], name="monthly_report_period_idx")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.period:%Y-%m} v{self.version}"

    @property
    def is_late(self) -> bool:
        return timezone.localdate(self.first_submitted_at) > self.due_on


class MonthlyReportItem(models.Model):
    """One person who lost entitlement this month, as the village assistant saw it."""

    class Event(models.TextChoices):
        DEATH = "death", _("death")
        IMPRISONMENT = "imprisonment", _("imprisonment")
        MISSING = "missing", _("missing")
        MOVED_AWAY = "moved_away", _("moved away")
        DUPLICATE_RECEIPT = "duplicate_receipt", _("duplicate receipt")
        OTHER = "other", _("other")

    report = models.ForeignKey(MonthlyReport, verbose_name=_("report"), on_delete=models.CASCADE, related_name="items")
    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="+"
    )
    event = models.CharField(_("event"), max_length=20, choices=Event.choices)
    event_date = models.DateField(_("date of the event"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="report_items"
    )
    evidence = models.ManyToManyField(EvidenceFile, verbose_name=_("evidence"), blank=True, related_name="+")

    class Meta:
        verbose_name = _("report item")
        verbose_name_plural = _("report items")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "pensioner", "event"], name="report_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.event}"
