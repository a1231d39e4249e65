"""The safety net: proofs of life recorded by people, visit tasks, suspect lists."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .cases import Case
from .evidence import EvidenceFile


class ProofOfLife(models.Model):
    """One proof of life a person recorded for one pensioner: a home visit, a visit to the counter, or
    a consulate life certificate for someone abroad. It certifies only after two staff confirmed it
    (受理 + 审核 on its case); no batch: one person, one record, one piece of evidence.
    """

    class Kind(models.TextChoices):
        ONSITE = "onsite", _("home visit")
        COUNTER = "counter", _("at the service counter")
        CONSULATE = "consulate", _("consulate life certificate")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for staff confirmation")
        CERTIFIED = "certified", _("confirmed and certified")
        REJECTED = "rejected", _("not confirmed")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="proofs_of_life"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    seen_on = models.DateField(_("seen on / issued on"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    consulate = models.CharField(_("issuing consulate"), max_length=120, blank=True)
    document_no = models.CharField(_("document number"), max_length=60, blank=True)
    document_valid_until = models.DateField(_("document valid until"), null=True, blank=True)
    # One piece of evidence backs one proof of one person, never several.
    evidence = models.OneToOneField(
        EvidenceFile, verbose_name=_("evidence"), on_delete=models.PROTECT, related_name="proof_of_life"
    )
    face_hint = models.JSONField(
        _("face comparison (a hint only)"), default=dict, blank=True, help_text=_("Never a decision by itself.")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    client_request_id = models.UUIDField(_("client request id"))
    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="proofs_of_life", null=True, blank=True
    )
    certification = models.OneToOneField(
        "selfservice.Certification",
        verbose_name=_("certification"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("proof of life")
        verbose_name_plural = _("proofs of life")
        ordering = ["-recorded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["recorded_by", "client_request_id"], name="proof_of_life_idempotent"),
            models.UniqueConstraint(
                fields=["pensioner"], condition=Q(status="pending"), name="proof_of_life_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(status="certified", certification__isnull=False)
                | (~Q(status="certified") & Q(certification__isnull=True)),
                name="proof_of_life_certified_iff_certification",
            ),
            models.CheckConstraint(
                condition=~Q(kind="consulate") | (~Q(consulate="") & Q(document_valid_until__isnull=False)),
                name="proof_of_life_consulate_fields",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.kind} {self.seen_on} ({self.status})"


class VisitTask(models.Model):
    """Someone the safety net must reach in person: built daily, worked by the village's assistant or
    grid worker, closed with what they found."""

    class Reason(models.TextChoices):
        SUSPENDED_UNREACHED = "suspended_unreached", _("suspended and not reached by SMS")
        OVERDUE = "overdue", _("certification long overdue")
        FACE_FAILURES = "face_failures", _("face certification keeps failing")
        NO_CONTACT = "no_contact", _("no phone and no relative")
        LOW_GRADE = "low_grade", _("medium or low survival grade")
        SUSPECT_LIST = "suspect_list", _("village could not say")

    class Status(models.TextChoices):
        OPEN = "open", _("to visit")
        DONE = "done", _("visited")
        CANCELLED = "cancelled", _("no longer needed")

    class Outcome(models.TextChoices):
        CERTIFIED = "certified", _("certified on site")
        DECEASED = "deceased", _("deceased")
        MOVED_AWAY = "moved_away", _("moved away")
        NOT_FOUND = "not_found", _("not found")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="visit_tasks"
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reasons = models.JSONField(_("all reasons"), default=list, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), help_text=_("0 is the most urgent."))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visit_tasks",
    )
    created_on = models.DateField(_("created on"))
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    proof = models.ForeignKey(
        ProofOfLife, verbose_name=_("proof of life"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="visit_tasks"
    )
    chased_at = models.DateTimeField(_("chased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("visit task")
        verbose_name_plural = _("visit tasks")
        ordering = ["priority", "due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pensioner"], condition=Q(status="open"), name="visit_task_one_open"),
            models.CheckConstraint(
                condition=Q(status="done", outcome__in=["certified", "deceased", "moved_away", "not_found"])
                | (~Q(status="done") & Q(outcome="")),
                name="visit_task_done_iff_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "priority", "due_on"], name="visit_task_queue_idx"),
            models.Index(fields=["status", "due_on"], name="visit_task_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.reason} ({self.status})"


class SuspectList(models.Model):
    """A village's monthly list of people to check (疑似名单下发到村核对), for its assistant."""

    village = models.ForeignKey(
        "accounts.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="suspect_lists"
    )
    period = models.DateField(_("month"), help_text=_("First day of the month the list is for."))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("suspect list")
        verbose_name_plural = _("suspect lists")
        ordering = ["-period", "village__code"]
        constraints = [
            models.UniqueConstraint(fields=["village", "period"], name="suspect_list_once_per_month"),
            models.CheckConstraint(condition=Q(period__day=1), name="suspect_list_period_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.village_id} {self.period:%Y-%m}"


class SuspectListEntry(models.Model):
    """One flagged person on a village's list and the assistant's answer about them."""

    class Answer(models.TextChoices):
        ALIVE = "alive", _("seen alive")
        DIED = "died", _("died")
        MOVED = "moved", _("moved away")
        UNKNOWN = "unknown", _("unknown")

    suspect_list = models.ForeignKey(
        SuspectList, verbose_name=_("list"), on_delete=models.CASCADE, related_name="entries"
    )
    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="+"
    )
    reasons = models.JSONField(_("why flagged"), default=list)
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices, blank=True)
    seen_on = models.DateField(_("seen alive on / died on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    task = models.ForeignKey(
        VisitTask, verbose_name=_("visit task"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("suspect list entry")
        verbose_name_plural = _("suspect list entries")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["suspect_list", "pensioner"], name="suspect_entry_once"),
            models.CheckConstraint(
                condition=Q(answer="", answered_at__isnull=True) | (~Q(answer="") & Q(answered_at__isnull=False)),
                name="suspect_entry_answer_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.answer or '?'}"
