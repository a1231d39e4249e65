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

    # No index of its own: ``cert_pensioner_time_idx`` starts with this column and serves every
    # lookup by person (one index less to write per certification; the round writes ~10^5).
    pensioner = models.ForeignKey(
        "accounts.Pensioner",
        verbose_name=_("pensioner"),
        on_delete=models.PROTECT,
        related_name="certifications",
        db_index=False,
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


class Benefit(models.Model):
    """One benefit a person receives. A person may hold several (pension, work-injury benefit,
    old-age allowance…); one certification of the person counts for every one that requires it.

    Status changes only through ``selfservice.benefits`` (the table of allowed transitions), which
    also keeps the person's summary (``Pensioner.benefit_status``) in step.
    """

    class Kind(models.TextChoices):
        ENTERPRISE = "enterprise", _("enterprise employees' basic pension")
        INSTITUTION = "institution", _("public institution pension")
        URBAN_RURAL = "urban_rural", _("urban-rural resident pension")
        WORK_INJURY = "work_injury", _("long-term work-injury benefit")
        SURVIVOR = "survivor", _("survivor benefit")
        OLD_AGE_ALLOWANCE = "old_age_allowance", _("old-age allowance")

    class Status(models.TextChoices):
        ACTIVE = "active", _("being paid")
        HELD = "held", _("on hold while a report is verified")
        SUSPENDED = "suspended", _("suspended")
        TERMINATED = "terminated", _("ended")

    class Reason(models.TextChoices):
        OVERDUE = "overdue", _("certification overdue")
        DEATH_REPORT = "death_report", _("death reported, pending verification")
        CASE = "case", _("under investigation")
        DEATH = "death", _("death confirmed")
        OTHER = "other", _("other")

    pensioner = models.ForeignKey(
        "accounts.Pensioner", verbose_name=_("pensioner"), on_delete=models.PROTECT, related_name="benefits"
    )
    kind = models.CharField(_("benefit type"), max_length=20, choices=Kind.choices)
    paying_office = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("paying office"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    status_since = models.DateField(_("status since"))
    status_reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices, blank=True)
    requires_certification = models.BooleanField(
        _("requires certification"),
        default=True,
        help_text=_("Whether an overdue certification suspends this benefit."),
    )
    monthly_amount = models.DecimalField(_("monthly amount (yuan)"), max_digits=10, decimal_places=2)
    start_date = models.DateField(_("start date"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")
        ordering = ["pensioner_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pensioner", "kind"], name="benefit_one_per_kind"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "held", "suspended", "terminated"]), name="benefit_status_valid"
            ),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="benefit_amount_not_negative"),
            # An active benefit has no reason; a stopped one always says why.
            models.CheckConstraint(
                condition=Q(status="active", status_reason="") | (~Q(status="active") & ~Q(status_reason="")),
                name="benefit_reason_iff_stopped",
            ),
        ]
        indexes = [models.Index(fields=["status", "pensioner"], name="benefit_status_person_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"


class BenefitHold(models.Model):
    """What a hold replaced, so releasing it restores exactly that (a typed record, not JSON).

    ``cause`` names what placed the hold (``case:<id>``): holds are placed from the back office,
    which sits above this app and is referred to by key, not by foreign key.
    """

    benefit = models.ForeignKey(Benefit, verbose_name=_("benefit"), on_delete=models.PROTECT, related_name="holds")
    cause = models.CharField(_("cause"), max_length=40)
    reason = models.CharField(_("reason"), max_length=20, choices=Benefit.Reason.choices)
    previous_status = models.CharField(_("status before"), max_length=12, choices=Benefit.Status.choices)
    previous_reason = models.CharField(_("reason before"), max_length=20, choices=Benefit.Reason.choices, blank=True)
    previous_since = models.DateField(_("status since, before"))
    held_on = models.DateField(_("held on"))
    released_on = models.DateField(_("released on"), null=True, blank=True)

    class Meta:
        verbose_name = _("benefit hold")
        verbose_name_plural = _("benefit holds")
        constraints = [
            models.UniqueConstraint(fields=["benefit", "cause"], name="benefit_hold_once_per_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.benefit_id} {self.cause}"
