"""Summary tables behind the dashboard's slow figures (docs/dashboard.md, "Summary tables").

Each is a grouped count per region (a pensioner's village) at the grain the dashboard filters on:
calendar months (local time) for periods, days for case ages. They are rebuilt together, set-based,
by ``dashboard.services.summaries_refresh`` (a django-q2 schedule every 15 minutes); the figures
served from them are the live selectors' figures as of ``SummaryRefresh.refreshed_at``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Region


class SummaryRefresh(models.Model):
    """When the summary tables were last rebuilt: one row, or none before the first refresh."""

    refreshed_at = models.DateTimeField(_("refreshed at"))
    today = models.DateField(_("counted for the day"))  # due soon / overdue are that day's states
    seconds = models.FloatField(_("seconds taken"), default=0)

    class Meta:
        verbose_name = _("dashboard summary refresh")
        verbose_name_plural = _("dashboard summary refreshes")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"


class SummaryRow(models.Model):
    """A summary row: a count for one region and one group of the row's other columns."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{type(self).__name__} {self.pk}"


class LatestCertificationSummary(SummaryRow):
    """People whose benefit has not ended, per region, benefit status, and the method and local
    month (``YYYYMM``; null if never certified) of their latest certification; with how many of
    them were due soon or overdue on the refresh's day."""

    benefit_status = models.CharField(max_length=12)
    method = models.CharField(max_length=12, blank=True)
    month = models.IntegerField(null=True)
    people = models.PositiveIntegerField()
    due_soon = models.PositiveIntegerField()
    overdue = models.PositiveIntegerField()


class CertificationMonthSummary(SummaryRow):
    """Certifications recorded per region, local month (``YYYYMM``) and method: the trend."""

    month = models.IntegerField()
    method = models.CharField(max_length=12)
    certifications = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["region", "month"], name="dashboard_certmonth_region")]


class OpenCaseSummary(SummaryRow):
    """Open (not yet decided) cases per region, category, local day opened and deadline."""

    category = models.CharField(max_length=30)
    opened_on = models.DateField()
    deadline = models.DateField(null=True)
    cases = models.PositiveIntegerField()


class FaceAttemptSummary(SummaryRow):
    """Face attempts per region, local month (``YYYYMM``), result and reason code."""

    month = models.IntegerField()
    result = models.CharField(max_length=10)
    reason = models.CharField(max_length=40, blank=True)
    attempts = models.PositiveIntegerField()

    class Meta:
        indexes = [models.Index(fields=["region", "month"], name="dashboard_face_region")]
