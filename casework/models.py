from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.fields import EncryptedTextField

OPEN_STATUSES = ("open", "accepted")


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


class PayeeAccount(models.Model):
    """Where a pensioner's benefit is paid; compared on resumption (bank account consistency)."""

    pensioner = models.OneToOneField(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.CASCADE, related_name="payee_account"
    )
    bank_name = models.CharField(_("bank"), max_length=60)
    account_number = EncryptedTextField(
        _("account number"), max_length=32, validators=[RegexValidator(r"^[0-9]{8,32}$", _("Digits only, 8 to 32."))]
    )
    changed_at = models.DateTimeField(_("last changed"), default=timezone.now)

    class Meta:
        verbose_name = _("payee account")
        verbose_name_plural = _("payee accounts")

    def __str__(self) -> str:
        return f"{self.bank_name} ****{self.account_number[-4:]}"

    @property
    def last4(self) -> str:
        return self.account_number[-4:]


class PaymentLedger(models.Model):
    """One monthly payment line: the regular payment (paid or held) or a later back payment.

    Rows are appended, never rewritten: a held month stays held and the back payment is its own
    row, so "what was paid for March, and when" always has one answer.
    """

    class Kind(models.TextChoices):
        REGULAR = "regular", _("regular monthly payment")
        BACK_PAY = "back_pay", _("back payment")

    class Status(models.TextChoices):
        PAID = "paid", _("paid")
        HELD = "held", _("held")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="payments"
    )
    period = models.DateField(_("month"), help_text=_("First day of the month paid for."))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGULAR)
    status = models.CharField(_("status"), max_length=5, choices=Status.choices)
    amount = models.DecimalField(_("amount (yuan)"), max_digits=10, decimal_places=2)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    account_last4 = models.CharField(_("paid to account ending"), max_length=4, blank=True)
    case = models.ForeignKey(
        Case, verbose_name=_("case"), null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment ledger line")
        verbose_name_plural = _("payment ledger")
        ordering = ["pensioner", "-period", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["pensioner", "period", "kind"], name="ledger_one_line_per_kind"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="ledger_amount_not_negative"),
            models.CheckConstraint(condition=Q(period__day=1), name="ledger_period_first_day"),
            models.CheckConstraint(
                condition=Q(status="paid", paid_on__isnull=False) | Q(status="held", paid_on__isnull=True),
                name="ledger_paid_has_date",
            ),
            models.CheckConstraint(condition=~Q(kind="back_pay", status="held"), name="ledger_back_pay_is_paid"),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.period:%Y-%m} {self.kind} {self.status} {self.amount}"


class Overpayment(models.Model):
    """Money paid for months after death (多发), to be recovered from the estate."""

    class RecoveryStatus(models.TextChoices):
        PENDING = "pending", _("to be recovered")
        PARTIAL = "partial", _("partly recovered")
        RECOVERED = "recovered", _("recovered")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="overpayments"
    )
    case = models.OneToOneField(Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="overpayment")
    period_from = models.DateField(_("first month overpaid"))
    period_to = models.DateField(_("last month overpaid"))
    months = models.PositiveSmallIntegerField(_("months"))
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    recovered_amount = models.DecimalField(_("recovered (yuan)"), max_digits=12, decimal_places=2, default=0)
    recovery_status = models.CharField(
        _("recovery status"), max_length=10, choices=RecoveryStatus.choices, default=RecoveryStatus.PENDING
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("overpayment")
        verbose_name_plural = _("overpayments")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="overpayment_positive"),
            models.CheckConstraint(
                condition=Q(recovered_amount__gte=0, recovered_amount__lte=F("amount")),
                name="overpayment_recovered_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pensioner_id} {self.amount} ({self.get_recovery_status_display()})"

    @property
    def outstanding(self):  # type: ignore[no-untyped-def]
        return self.amount - self.recovered_amount


class OverpaymentRecovery(models.Model):
    """One amount recovered; the client request id makes a retried entry count once."""

    overpayment = models.ForeignKey(
        Overpayment, verbose_name=_("overpayment"), on_delete=models.PROTECT, related_name="recoveries"
    )
    amount = models.DecimalField(_("amount (yuan)"), max_digits=12, decimal_places=2)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    client_request_id = models.UUIDField(_("client request id"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("overpayment recovery")
        verbose_name_plural = _("overpayment recoveries")
        constraints = [
            models.UniqueConstraint(fields=["overpayment", "client_request_id"], name="recovery_idempotent"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="recovery_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.overpayment_id} +{self.amount}"


# --- The safety net: proofs of life recorded by people, visit tasks, suspect lists ----------------


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
