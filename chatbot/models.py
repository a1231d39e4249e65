"""Conversations with the assistant, their messages, and requests for a person to call back.

Message text is stored as normalised by the chatbot (HTML and control characters removed, ID
and bank-card numbers masked): the raw text is never written anywhere.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.fields import BlindIndexField, EncryptedTextField


class Channel(models.TextChoices):
    APP = "app", _("app")
    SMS = "sms", _("SMS")


class Conversation(models.Model):
    """One thread of messages; a new one starts after a pause (and with it a fresh state).

    ``state`` and ``slots`` hold the guided flow in progress (which question the bot asked and
    what it has collected so far); ``misses`` counts consecutive messages it did not understand.
    """

    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="chatbot_conversations",
    )
    # SMS conversations: the sender's phone, encrypted; found by ``phone_bidx`` (backend.lookups.phone_index).
    phone_bidx = BlindIndexField(_("phone lookup index"), null=True)
    phone = EncryptedTextField(
        _("mobile phone"), max_length=16, blank=True, blind_index="phone_bidx", index_domain="phone"
    )
    state = models.CharField(_("state"), max_length=40, default="idle")
    slots = models.JSONField(_("collected answers"), default=dict, blank=True)
    misses = models.PositiveSmallIntegerField(_("consecutive misunderstandings"), default=0)
    last_intent = models.CharField(_("last intent"), max_length=20, blank=True)
    created_at = models.DateTimeField(_("started at"), default=timezone.now)
    updated_at = models.DateTimeField(_("last message at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("chatbot conversation")
        verbose_name_plural = _("chatbot conversations")
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["app", "sms"]), name="chatbot_conversation_channel_valid"),
            models.CheckConstraint(
                condition=Q(user__isnull=False) | Q(phone_bidx__isnull=False), name="chatbot_conversation_has_identity"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "channel", "-updated_at"], name="chatbot_conv_user_idx"),
            models.Index(fields=["phone_bidx", "channel", "-updated_at"], name="chatbot_conv_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk}"


class Message(models.Model):
    class Direction(models.TextChoices):
        IN = "in", _("from the person")
        OUT = "out", _("from the assistant")

    conversation = models.ForeignKey(
        Conversation, verbose_name=_("conversation"), on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    text = models.TextField(_("text (ID numbers masked)"), max_length=2000)
    payload = models.CharField(_("button payload"), max_length=60, blank=True)
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    source = models.CharField(_("understood by"), max_length=10, blank=True)
    state = models.CharField(_("state after"), max_length=40, blank=True)
    buttons = models.JSONField(_("buttons"), default=list, blank=True)
    action = models.JSONField(_("app action"), null=True, blank=True)
    client_request_id = models.UUIDField(_("client request id"), null=True, blank=True)
    reply_to = models.OneToOneField(
        "self", verbose_name=_("reply to"), null=True, blank=True, on_delete=models.CASCADE, related_name="reply"
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("chatbot message")
        verbose_name_plural = _("chatbot messages")
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(direction__in=["in", "out"]), name="chatbot_message_direction_valid"),
            models.CheckConstraint(
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                name="chatbot_message_confidence_0_1",
            ),
            models.UniqueConstraint(
                fields=["conversation", "client_request_id"],
                condition=Q(client_request_id__isnull=False),
                name="chatbot_message_request_once",
            ),
        ]
        indexes = [models.Index(fields=["conversation", "created_at"], name="chatbot_msg_conv_time_idx")]

    def __str__(self) -> str:
        return f"{self.direction} {self.text[:30]}"


class CallbackRequest(models.Model):
    """A person asked (or was offered) to talk to staff: the office calls them back."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for a call")
        DONE = "done", _("called back")

    conversation = models.ForeignKey(
        Conversation,
        verbose_name=_("conversation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_requests",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chatbot_callback_requests",
    )
    phone_bidx = BlindIndexField(_("phone lookup index"), db_index=True)
    phone = EncryptedTextField(_("call back on"), max_length=16, blind_index="phone_bidx", index_domain="phone")
    pensioner = models.ForeignKey(
        "accounts.Pensioner",
        verbose_name=_("about pensioner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chatbot_callback_requests",
    )
    region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="chatbot_callback_requests",
    )
    topic = models.CharField(_("topic"), max_length=20, blank=True)
    summary = models.TextField(_("what the person wrote (masked)"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=5, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    note = models.TextField(_("staff note"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["open", "done"]), name="chatbot_callback_status_valid"),
            models.CheckConstraint(
                condition=Q(status="open", handled_at__isnull=True) | Q(status="done", handled_at__isnull=False),
                name="chatbot_callback_handled_when_done",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="chatbot_callback_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.created_at:%Y-%m-%d %H:%M}"
