"""Silent certification: other agencies' records in, proofs of life and loss-of-entitlement signals out.

An agency (``Agency``) sends records of one of its ``DataSource`` kinds; every accepted row is an
``EvidenceEvent`` (idempotent on source + the agency's record id). The daily comparison round reads
the events and records what it decided (``Decision``) with the event that drove it, so "which data
said so" is answerable for every certification, hold, suspension and case.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import ID_NUMBER_REGEX


class Agency(models.Model):
    """A data-providing department (public security, civil affairs, the health commission…).

    One credential per agency: ``secret`` keys the HMAC every API batch is signed with. It is a
    shared secret (the server must recompute the signature), so it is stored as given and shown to
    staff only when generated.
    """

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    secret = models.CharField(_("API secret"), max_length=128, blank=True, help_text=_("Empty: no API access."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data agency")
        verbose_name_plural = _("data agencies")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class DataSource(models.Model):
    """One kind of record an agency sends, and how the rules weigh it (editable by staff)."""

    class Kind(models.TextChoices):
        STRONG = "strong", _("strong evidence of life (certifies on its own)")
        WEAK = "weak", _("weak evidence of life (scored)")
        DEATH = "death", _("death signal")
        CUSTODY = "custody", _("custody signal")
        RELEASE = "release", _("release from custody")

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), on_delete=models.PROTECT, related_name="sources")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    weight = models.DecimalField(
        _("weight"), max_digits=4, decimal_places=2, default=0, help_text=_("Weak sources only: points per source.")
    )
    validity_days = models.PositiveIntegerField(
        _("valid for (days)"),
        help_text=_("How old an event may be and still count (for signals: still be acted on)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["kind", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["strong", "weak", "death", "custody", "release"]), name="datasource_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(validity_days__gte=1, validity_days__lte=3660), name="datasource_validity_range"
            ),
            # Only weak sources are scored; a weak source with no weight could never count.
            models.CheckConstraint(
                condition=(Q(kind="weak") & Q(weight__gt=0) & Q(weight__lte=10)) | (~Q(kind="weak") & Q(weight=0)),
                name="datasource_weight_only_weak",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key})"


class IdNumberMapping(models.Model):
    """A re-issued ID number (household moves): agencies may still send the old one."""

    old_number = models.CharField(_("old ID number"), max_length=18, unique=True)
    new_number = models.CharField(_("new ID number"), max_length=18, db_index=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ID number mapping")
        verbose_name_plural = _("ID number mappings")
        constraints = [
            models.CheckConstraint(condition=Q(old_number__regex=ID_NUMBER_REGEX), name="idmap_old_format"),
            models.CheckConstraint(condition=Q(new_number__regex=ID_NUMBER_REGEX), name="idmap_new_format"),
            models.CheckConstraint(condition=~Q(old_number=F("new_number")), name="idmap_old_differs"),
        ]

    def __str__(self) -> str:
        return f"{self.old_number} → {self.new_number}"


class IngestBatch(models.Model):
    """One file or API batch. API batches are unique per agency and client batch id, so a replay
    returns this row's counts and rejects instead of loading again."""

    class Channel(models.TextChoices):
        FILE = "file", _("file (command line)")
        API = "api", _("API")

    source = models.ForeignKey(DataSource, verbose_name=_("source"), on_delete=models.PROTECT, related_name="batches")
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="batches"
    )
    channel = models.CharField(_("channel"), max_length=4, choices=Channel.choices)
    client_batch_id = models.CharField(_("batch id"), max_length=64, blank=True)
    body_sha256 = models.CharField(_("content SHA-256"), max_length=64, blank=True)
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    rows = models.PositiveBigIntegerField(_("rows"), default=0)
    accepted = models.PositiveBigIntegerField(_("accepted"), default=0)
    duplicates = models.PositiveBigIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveBigIntegerField(_("rejected"), default=0)
    rejects = models.JSONField(_("rejects (first ones)"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ingestion batch")
        verbose_name_plural = _("ingestion batches")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "client_batch_id"], condition=Q(channel="api"), name="batch_api_unique"
            ),
            models.CheckConstraint(condition=Q(channel="file") | ~Q(client_batch_id=""), name="batch_api_has_id"),
            models.CheckConstraint(
                condition=Q(finished_at__isnull=True) | Q(rows=F("accepted") + F("duplicates") + F("rejected")),
                name="batch_counts_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.source_id} {self.client_batch_id or self.file_name}"


class EvidenceEvent(models.Model):
    """One accepted agency record about one pensioner. Never edited; loaded once per record id."""

    # Per-row cost at 10 million rows: no single-column indexes (the unique (source, record_id) and
    # (pensioner, event_date) indexes lead with these columns) and no per-row foreign-key check:
    # source and batch are one value per load, taken from rows that exist; the pensioner is proven
    # by the load's own join on the registry (a row with no pensioner is rejected), and deleting a
    # pensioner who has events is refused by PROTECT in the ORM and, on PostgreSQL, by a trigger
    # (migration 0004) — the check runs on the rare delete instead of on every inserted row.
    source = models.ForeignKey(
        DataSource,
        verbose_name=_("source"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )
    record_id = models.CharField(_("agency record id"), max_length=64)
    pensioner = models.ForeignKey(
        "accounts.Pensioner",
        verbose_name=_("pensioner"),
        on_delete=models.PROTECT,
        related_name="evidence_events",
        db_index=False,
        db_constraint=False,
    )
    event_date = models.DateField(_("event date"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received at"))
    batch = models.ForeignKey(
        IngestBatch,
        verbose_name=_("batch"),
        on_delete=models.PROTECT,
        related_name="events",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("evidence event")
        verbose_name_plural = _("evidence events")
        ordering = ["-event_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "record_id"], name="evidence_once_per_record"),
            models.CheckConstraint(condition=~Q(record_id=""), name="evidence_record_id_not_empty"),
        ]
        indexes = [models.Index(fields=["pensioner", "event_date"], name="evidence_person_date_idx")]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.record_id} {self.event_date}"


class SurvivalGrade(models.Model):
    """Zhejiang's survival grade (生存状态): how much a person's recent traces overlap.

    Written by the comparison round, one row per person; ``graded_on`` is the day it last changed.
    """

    class Grade(models.TextChoices):
        STRONG = "strong", _("strong")
        MEDIUM = "medium", _("medium")
        LOW = "low", _("low")

    pensioner = models.OneToOneField(
        "accounts.Pensioner",
        verbose_name=_("pensioner"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="survival_grade",
    )
    grade = models.CharField(_("grade"), max_length=6, choices=Grade.choices)
    score = models.DecimalField(_("weak-evidence score"), max_digits=7, decimal_places=3, default=0)
    weak_sources = models.PositiveSmallIntegerField(_("distinct weak sources"), default=0)
    strong_seen_on = models.DateField(_("latest strong evidence"), null=True, blank=True)
    weak_seen_on = models.DateField(_("latest weak evidence"), null=True, blank=True)
    death_signal = models.BooleanField(_("death signal"), default=False)
    graded_on = models.DateField(_("graded on"))

    class Meta:
        verbose_name = _("survival grade")
        verbose_name_plural = _("survival grades")
        constraints = [
            models.CheckConstraint(condition=Q(grade__in=["strong", "medium", "low"]), name="grade_valid"),
            models.CheckConstraint(condition=Q(score__gte=0), name="grade_score_not_negative"),
            models.CheckConstraint(condition=Q(death_signal=False) | Q(grade="low"), name="grade_death_is_low"),
        ]
        indexes = [models.Index(fields=["grade"], name="grade_grade_idx")]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.grade}"


class RoundReport(models.Model):
    """One comparison round: what it did, by outcome and by source (for staff and the dashboard)."""

    run_on = models.DateField(_("run on"), db_index=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    certified = models.PositiveIntegerField(_("certified"), default=0)
    graded = models.PositiveIntegerField(_("grades changed"), default=0)
    holds = models.PositiveIntegerField(_("payments held"), default=0)
    suspensions = models.PositiveIntegerField(_("payments suspended"), default=0)
    cases = models.PositiveIntegerField(_("cases opened or added to"), default=0)
    by_outcome = models.JSONField(_("by outcome"), default=dict, blank=True)
    by_source = models.JSONField(_("by source"), default=dict, blank=True)
    grades = models.JSONField(_("grades"), default=dict, blank=True)

    class Meta:
        verbose_name = _("comparison round")
        verbose_name_plural = _("comparison rounds")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.run_on} #{self.pk}"


class Decision(models.Model):
    """What a round did for one person and the evidence that drove it (可溯可查).

    ``trigger`` is the event that decided it; one decision per event and outcome, so a second
    round never acts twice on the same record.
    """

    class Outcome(models.TextChoices):
        CERTIFIED_STRONG = "certified_strong", _("certified by strong evidence")
        CERTIFIED_WEAK = "certified_weak", _("certified by weak evidence score")
        DEATH_HOLD = "death_hold", _("payment held, suspected-death case")
        CUSTODY_SUSPEND = "custody_suspend", _("payment suspended, imprisonment case")
        RELEASE_REVIEW = "release_review", _("release: resumption review case")
        DATA_QUALITY = "data_quality", _("activity after death: data-quality case")
        NO_ACTION = "no_action", _("no action (benefit ended)")

    round = models.ForeignKey(RoundReport, verbose_name=_("round"), on_delete=models.PROTECT, related_name="decisions")
    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="silent_decisions"
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    trigger = models.ForeignKey(
        EvidenceEvent, verbose_name=_("deciding evidence"), on_delete=models.PROTECT, related_name="decisions"
    )
    evidence_ids = models.JSONField(_("all evidence used"), default=list)
    certification = models.ForeignKey(
        "selfservice.Certification",
        verbose_name=_("certification"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    case = models.ForeignKey(
        "casework.Case", verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        verbose_name = _("silent decision")
        verbose_name_plural = _("silent decisions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "outcome"], name="decision_once_per_event"),
            models.CheckConstraint(
                condition=~Q(outcome__in=["certified_strong", "certified_weak"]) | Q(certification__isnull=False),
                name="decision_certified_has_certification",
            ),
            models.CheckConstraint(
                condition=~Q(outcome__in=["death_hold", "custody_suspend", "release_review", "data_quality"])
                | Q(case__isnull=False),
                name="decision_signal_has_case",
            ),
        ]
        indexes = [models.Index(fields=["pensioner", "-created_at"], name="decision_person_idx")]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.outcome}"
