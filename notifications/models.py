"""The SMS outbox: one row per message we ever mean to send, unique on its reason.

The row is written before anything leaves the building, in the caller's transaction, so a
message is either planned and eventually sent (or recorded as failed) or never planned at all.
Workers claim a row with a conditional UPDATE (``pending`` → ``sending``) and only the winner
calls the provider, which is what makes "never twice for the same reason" hold.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.fields import BlindIndexField, BlindIndexUniqueMixin, EncryptedTextField
from notifications.sms import SmsKind

# Phones here are personal data like the registry's: encrypted, found by their blind index
# (``backend.lookups.phone_index``), never compared as ciphertext.


class SmsOutbox(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent to the provider")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")
        UNDELIVERED = "undelivered", _("undelivered")
        OPTED_OUT = "opted_out", _("recipient opted out")
        CANCELLED = "cancelled", _("cancelled (no longer applies)")

    class Kind(models.TextChoices):
        LOGIN_CODE = SmsKind.LOGIN_CODE.value, _("login or confirmation code")
        REPLY = SmsKind.REPLY.value, _("reply to a message received")
        NOTICE = SmsKind.NOTICE.value, _("legally required notice")
        REMINDER = SmsKind.REMINDER.value, _("reminder or information")

    recipient_bidx = BlindIndexField(_("recipient lookup index"), db_index=True)
    recipient = EncryptedTextField(_("recipient"), max_length=16, blind_index="recipient_bidx", index_domain="phone")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    template = models.CharField(_("template"), max_length=40)
    text = models.TextField(_("text"))
    reason = models.CharField(_("reason"), max_length=120, unique=True, help_text=_("Dedupe key: one SMS per reason."))
    # Who the message is about, for its owner's send-time check; a plain id, not a foreign key:
    # the transport sits below the apps that know what a pensioner is.
    pensioner_id_ref = models.BigIntegerField(_("pensioner"), null=True, blank=True, db_index=True)
    cycle_due = models.DateField(_("cycle due date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    send_after = models.DateTimeField(_("send after"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    claim_token = models.CharField(max_length=32, blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=64, blank=True, db_index=True)
    error_code = models.CharField(_("error code"), max_length=40, blank=True)
    error_message = models.CharField(_("error message"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    status_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing SMS")
        verbose_name_plural = _("outgoing SMS")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending",
                        "sending",
                        "sent",
                        "delivered",
                        "failed",
                        "undelivered",
                        "opted_out",
                        "cancelled",
                    ]
                ),
                name="sms_outbox_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["login_code", "reply", "notice", "reminder"]), name="sms_outbox_kind_valid"
            ),
        ]
        indexes = [
            # The drain walks only unsent rows; partial indexes stay small however big the table grows.
            models.Index(fields=["id"], condition=Q(status="pending"), name="sms_outbox_pending_idx"),
            models.Index(fields=["claimed_at"], condition=Q(status="sending"), name="sms_outbox_sending_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.status})"


class SmsRecipientPreference(BlindIndexUniqueMixin, models.Model):
    """Whether a number wants optional SMS (reminders). Legally required notices ignore it."""

    class Source(models.TextChoices):
        KEYWORD = "keyword", _("replied an opt-out keyword")
        OPT_OUT_TYPE = "opt_out_type", _("provider opt-out management")
        PROVIDER_ERROR = "provider_error", _("provider reported the number opted out")
        STAFF = "staff", _("staff")

    phone_bidx = BlindIndexField(_("phone lookup index"), unique=True)
    phone = EncryptedTextField(_("mobile phone"), max_length=16, blind_index="phone_bidx", index_domain="phone")
    opted_out_at = models.DateTimeField(_("opted out at"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("SMS preference")
        verbose_name_plural = _("SMS preferences")

    def __str__(self) -> str:
        return f"{(self.phone or '')[:6]}… {'opted out' if self.opted_out_at else 'subscribed'}"


class SmsInbound(models.Model):
    """A message someone sent us. Unique on the provider id so a retried webhook is handled once."""

    class Action(models.TextChoices):
        PENDING = "pending", _("not handled yet")
        OPT_OUT = "opt_out", _("opted out")
        OPT_IN = "opt_in", _("opted in again")
        CHATBOT = "chatbot", _("handed to the chatbot")
        IGNORED = "ignored", _("ignored (no chatbot)")

    provider_message_id = models.CharField(_("provider message id"), max_length=64, unique=True)
    from_phone_bidx = BlindIndexField(_("sender lookup index"), null=True, db_index=True)
    from_phone = EncryptedTextField(_("from"), max_length=32, blind_index="from_phone_bidx", index_domain="phone")
    to_phone = models.CharField(_("to"), max_length=32, blank=True)
    text = models.TextField(_("text"), blank=True)
    opt_out_type = models.CharField(max_length=10, blank=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices, default=Action.PENDING)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("incoming SMS")
        verbose_name_plural = _("incoming SMS")

    def __str__(self) -> str:
        return f"{self.provider_message_id} ({self.action})"
