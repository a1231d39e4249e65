"""Payee accounts, the payment ledger, overpayments and their recovery."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.fields import EncryptedTextField

from .cases import Case


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
