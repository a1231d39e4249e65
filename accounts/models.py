from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.lookups import canonical_name
from accounts.phones import E164_MAINLAND_MOBILE_REGEX
from backend.fields import BlindIndexField, BlindIndexUniqueMixin, EncryptedTextField

ID_NUMBER_REGEX = r"^[1-9][0-9]{16}[0-9X]$"
# What the CHECK constraints enforced on the plaintext, now checked before every write (backend.fields).
id_number_format = RegexValidator(ID_NUMBER_REGEX, _("Enter an 18-character resident ID number."))
mainland_mobile_e164 = RegexValidator(E164_MAINLAND_MOBILE_REGEX, _("Enter a mainland mobile number."))


class Region(models.Model):
    """A node of the administrative tree; the 12-digit division code encodes the whole path.

    Province 2 significant digits, city 4, county 6, township 9, village 12. A subtree is
    therefore every code starting with the node's significant prefix, one indexed range scan.
    """

    class Level(models.IntegerChoices):
        PROVINCE = 1, _("province")
        CITY = 2, _("city")
        COUNTY = 3, _("county")
        TOWNSHIP = 4, _("township")
        VILLAGE = 5, _("village")

    PREFIX_LENGTH = {1: 2, 2: 4, 3: 6, 4: 9, 5: 12}

    code = models.CharField(_("division code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    service_address = models.CharField(_("service office address"), max_length=200, blank=True)
    service_phone = models.CharField(_("service office phone"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"),
            models.CheckConstraint(condition=Q(level__gte=1, level__lte=5), name="region_level_valid"),
            models.CheckConstraint(
                condition=Q(level=1, parent__isnull=True) | Q(level__gt=1, parent__isnull=False),
                name="region_parent_matches_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return self.code[: self.PREFIX_LENGTH[self.level]]


class User(BlindIndexUniqueMixin, AbstractUser):
    """Everyone who logs in: app users by phone + SMS code, staff by username + password.

    App users get ``username`` = their E.164 phone, so the admin and the API share one identity.
    Staff ``region`` is the root of the subtree they may act in.
    """

    # Encrypted; looked up by ``phone_bidx`` = blind_index(E.164 phone, domain="phone") (accounts.lookups).
    phone_bidx = BlindIndexField(_("phone lookup index"), unique=True, null=True)
    phone = EncryptedTextField(
        _("mobile phone"),
        max_length=16,
        null=True,
        blank=True,
        blind_index="phone_bidx",
        index_domain="phone",
        validators=[mainland_mobile_e164],
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        help_text=_("For staff: the administrative area they may act in."),
    )
    villages = models.ManyToManyField(
        Region,
        verbose_name=_("assigned villages"),
        through="VillageAssignment",
        related_name="assistants",
        blank=True,
    )

    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True, phone_bidx__isnull=True)
                | Q(phone__isnull=False, phone_bidx__isnull=False),
                name="user_phone_indexed",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class VillageAssignment(models.Model):
    """A village assistant (村居协办员) reports for the villages assigned here."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="village_assignments")
    village = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="village_assignments")
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now)

    class Meta:
        verbose_name = _("village assignment")
        verbose_name_plural = _("village assignments")
        constraints = [models.UniqueConstraint(fields=["user", "village"], name="village_assignment_unique")]

    def __str__(self) -> str:
        return f"{self.user} → {self.village}"


class Pensioner(BlindIndexUniqueMixin, models.Model):
    """A person who receives one or more benefits; exists with or without a login account.

    ``next_due`` and ``last_certification`` are maintained by the certification service, and
    ``benefit_status`` / ``suspension_reason`` / ``status_since`` summarise the person's benefits
    (``selfservice.Benefit``) and are written only by ``selfservice.benefits`` with them, so status
    reads and the reminder planner never aggregate over benefits or certifications.
    """

    class BenefitStatus(models.TextChoices):
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        TERMINATED = "terminated", _("terminated")

    class SuspensionReason(models.TextChoices):
        OVERDUE = "overdue", _("certification overdue")
        DEATH_REPORT = "death_report", _("death reported, pending verification")
        CASE = "case", _("under investigation")
        OTHER = "other", _("other")

    class Sex(models.TextChoices):
        MALE = "M", _("male")
        FEMALE = "F", _("female")

    # Encrypted (backend.fields); exact lookups by the blind-index columns (accounts.lookups), declared
    # before their source fields.
    id_number_bidx = BlindIndexField(_("ID number lookup index"), unique=True)
    name_bidx = BlindIndexField(_("name lookup index"), db_index=True)
    phone_bidx = BlindIndexField(_("phone lookup index"), null=True, db_index=True)
    id_number = EncryptedTextField(
        _("resident ID number"),
        max_length=18,
        blind_index="id_number_bidx",
        index_domain="id_number",
        validators=[id_number_format],
    )
    name = EncryptedTextField(
        _("name"),
        max_length=50,
        blind_index="name_bidx",
        index_domain="name",
        index_normalize=canonical_name,
        validators=[MaxLengthValidator(50)],
    )
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone = EncryptedTextField(
        _("mobile phone"),
        max_length=16,
        null=True,
        blank=True,
        blind_index="phone_bidx",
        index_domain="phone",
        validators=[mainland_mobile_e164],
    )
    region = models.ForeignKey(Region, verbose_name=_("village"), on_delete=models.PROTECT, related_name="pensioners")
    benefit_status = models.CharField(
        _("benefit status"), max_length=12, choices=BenefitStatus.choices, default=BenefitStatus.ACTIVE
    )
    status_since = models.DateField(_("status since"))
    suspension_reason = models.CharField(
        _("suspension reason"), max_length=20, choices=SuspensionReason.choices, blank=True
    )
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    next_due = models.DateField(_("next certification due"), db_index=True)
    last_certification = models.ForeignKey(
        "selfservice.Certification",
        verbose_name=_("last certification"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("login account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pensioner",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pensioner")
        verbose_name_plural = _("pensioners")
        permissions = [
            ("set_benefit_amount", _("Can set benefit amounts")),
            ("record_certification", _("Can record on-site and counter certifications")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(phone__isnull=True, phone_bidx__isnull=True)
                | Q(phone__isnull=False, phone_bidx__isnull=False),
                name="pensioner_phone_indexed",
            ),
            models.CheckConstraint(
                condition=Q(deceased_on__isnull=True) | Q(benefit_status="terminated") | Q(benefit_status="suspended"),
                name="pensioner_deceased_not_active",
            ),
        ]
        indexes = [models.Index(fields=["benefit_status", "next_due"], name="pensioner_status_due_idx")]

    def __str__(self) -> str:
        return self.name


class RelativeLink(models.Model):
    """A family member's right to act for a pensioner (proxy certification, death reports)."""

    class Relationship(models.TextChoices):
        SPOUSE = "spouse", _("spouse")
        CHILD = "child", _("son or daughter")
        CHILD_IN_LAW = "child_in_law", _("son- or daughter-in-law")
        GRANDCHILD = "grandchild", _("grandchild")
        SIBLING = "sibling", _("brother or sister")
        OTHER = "other", _("other relative")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REVOKED = "revoked", _("revoked")

    relative = models.ForeignKey(
        User, verbose_name=_("relative"), on_delete=models.CASCADE, related_name="relative_links"
    )
    pensioner = models.ForeignKey(
        Pensioner, verbose_name=_("pensioner"), on_delete=models.CASCADE, related_name="relative_links"
    )
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    # How the requester names themselves; shown masked in the SMS that asks the pensioner.
    requester_name = models.CharField(_("requester's name"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    approved_by = models.ForeignKey(
        User, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_via = models.CharField(_("approved via"), max_length=20, blank=True)
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("relative link")
        verbose_name_plural = _("relative links")
        constraints = [
            models.UniqueConstraint(
                fields=["relative", "pensioner"], condition=~Q(status="revoked"), name="relative_link_one_live"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.relative} → {self.pensioner} ({self.get_status_display()})"


class OneTimeCode(models.Model):
    """An SMS code, stored as an HMAC; the counters enforce expiry, attempts, resend gap and daily caps
    (per purpose, per requester, and per phone for requesters the phone has never logged in from)."""

    class Purpose(models.TextChoices):
        LOGIN = "login", _("login")
        # No longer issued (the pensioner now answers from their own phone or app); kept for old rows.
        RELATIVE_CONFIRM = "relative_confirm", _("relative link confirmation")

    # Encrypted like every phone; counted and found by ``phone_bidx`` (backend.lookups.phone_index).
    phone_bidx = BlindIndexField(_("phone lookup index"))
    phone = EncryptedTextField(_("mobile phone"), max_length=16, blind_index="phone_bidx", index_domain="phone")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    subject_id = models.BigIntegerField(_("subject"), null=True, blank=True)
    # Who asked (a keyed hash, never the address itself): "ip:…", "user:…" or "device:…" for a phone
    # that logged in before. Limits are per requester, so one client cannot spend another's codes.
    requester = models.CharField(_("requested by"), max_length=48, blank=True, default="")
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    consumed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("one-time code")
        verbose_name_plural = _("one-time codes")
        indexes = [models.Index(fields=["phone_bidx", "purpose", "created_at"], name="otc_phone_purpose_idx")]

    def __str__(self) -> str:
        return f"{self.purpose} code for {(self.phone or '')[:6]}…"


def audit_time(moment: datetime.datetime) -> str:
    """An audit event's time as hashed: UTC, microseconds kept."""
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def audit_canonical(
    seq: int | None,
    prev_hash: str,
    created: str,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    pensioner_id_ref: int | None,
    client_ip: str | None,
    details: Any,
) -> bytes:
    """The hashed form of an audit event: every recorded field, the chain position and the previous
    hash, in a fixed order and encoding, so the same row always hashes the same (also used by the
    bulk append, which hashes without building model instances)."""
    return json.dumps(
        [seq, prev_hash, created, actor_id, action, target_type, target_id, pensioner_id_ref, client_ip, details],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    ).encode()


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("The audit log is append-only.")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("The audit log is append-only.")


class AuditEvent(models.Model):
    """Append-only trail of state changes and reads of another person's data (可溯可查).

    Tamper-evident: each event carries the hash of the one before it (``seq`` order) and its own hash
    over its canonical fields, so changing, removing or inserting a row breaks the chain at that point
    (``manage.py audit_verify`` names it). Rows written before the chain existed have no ``seq``.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT
    )
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("target type"), max_length=60)
    target_id = models.CharField(_("target id"), max_length=40)
    pensioner_id_ref = models.BigIntegerField(_("pensioner"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    client_ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    seq = models.BigIntegerField(_("chain position"), null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(_("previous event's hash"), max_length=64, blank=True, editable=False)
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_type}:{self.target_id}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None and not self._state.adding:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("The audit log is append-only.")

    def canonical(self) -> bytes:
        """The hashed form (``audit_canonical``)."""
        return audit_canonical(
            self.seq,
            self.prev_hash,
            audit_time(self.created_at),
            self.actor_id,
            self.action,
            self.target_type,
            str(self.target_id),
            self.pensioner_id_ref,
            self.client_ip,
            self.details,
        )

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
