"""SMS outbox, sending, delivery reports, inbound messages, and bulk planning for the apps above.

How a message travels:

1. ``sms_send`` (or the planner, in bulk) inserts one ``SmsOutbox`` row whose ``reason`` is
   unique in the database; a second insert for the same reason is silently skipped.
2. A single event's SMS is handed to a django-q2 task at once (``sms_outbox_send``); rows planned
   in bulk, and anything held for quiet hours, wait for the drain (``sms_outbox_drain``, every
   minute), which paces sending at ``SMS_RATE_PER_SECOND``. During quiet hours only login codes
   and replies go out.
3. Whoever sends first claims the row with a conditional UPDATE ``pending → sending``; only the
   worker whose UPDATE changed the row calls the provider. A retried task, a second worker or a
   second drain finds the row no longer pending and does nothing.
4. The outcome is written back: ``sent`` (with the provider id), retried later with backoff
   (transient errors), ``failed`` (permanent), ``opted_out`` (twilio 21610). If the worker dies
   after the claim, the row stays ``sending``; the sweeper asks the backend whether the message
   went out and marks it sent, puts it back to pending, or (when nobody can tell) fails it with
   ``outcome_unknown`` rather than risk sending it twice.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from backend.lookups import phone_index
from notifications import registry, selectors
from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference
from notifications.sms import (
    URGENT_KINDS,
    Lookup,
    SmsBackend,
    SmsError,
    SmsKind,
    SmsMessage,
    SmsOptedOutError,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsTransientError,
    get_backend,
)

logger = logging.getLogger(__name__)

Status = SmsOutbox.Status
TERMINAL = frozenset({Status.DELIVERED, Status.UNDELIVERED, Status.FAILED, Status.OPTED_OUT, Status.CANCELLED})

# --- Queueing ----------------------------------------------------------------------------------


def _enqueue(func: str, *args: Any) -> None:
    """Queue a task so that it cannot run before the caller's transaction commits.

    With the ORM broker on the default database the queue row is written in the same transaction
    (a free transactional outbox); with Redis the push waits for the commit. In tests
    (``Q_SYNC``) the task runs inline, inside the caller's transaction.
    """
    from django_q.conf import Conf
    from django_q.tasks import async_task

    if Conf.SYNC or Conf.ORM == DEFAULT_DB_ALIAS:
        async_task(func, *args)
    else:
        transaction.on_commit(lambda: async_task(func, *args))


def _earliest_send(kind: SmsKind, now: datetime.datetime) -> datetime.datetime:
    if kind in URGENT_KINDS:
        return now
    return selectors.quiet_hours_end(now) or now


@lru_cache(maxsize=1)
def _status_callback_path() -> str:
    return reverse("notifications:sms-status-callback")


def _status_callback_url(outbox_id: int) -> str | None:
    if not settings.SMS_STATUS_CALLBACK:
        return None
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{_status_callback_path()}?o={outbox_id}"


def sms_send(
    *,
    to: str,
    text: str,
    reason: str,
    kind: SmsKind = SmsKind.NOTICE,
    template: str = "",
    pensioner_id: int | None = None,
    cycle_due: datetime.date | None = None,
) -> SmsOutbox:
    """Record one SMS for ``reason`` and queue it; the same reason again is a no-op.

    Call it inside the transaction of the change the SMS is about. It is sent by a task at once,
    except during quiet hours, when only login codes and replies go and the rest waits for the
    morning drain. Reminders are never sent to numbers that opted out. Bulk senders use the
    planner, whose rows go through the paced drain instead.
    """
    kind = SmsKind(kind)
    now = timezone.now()
    expires_at = None
    if kind == SmsKind.LOGIN_CODE:
        expires_at = now + datetime.timedelta(seconds=settings.LOGIN_CODE_TTL_SECONDS)
    SmsOutbox.objects.bulk_create(
        [
            SmsOutbox(
                recipient=to,
                kind=kind,
                template=template or kind.value,
                text=text,
                reason=reason,
                pensioner_id_ref=pensioner_id,
                cycle_due=cycle_due,
                send_after=_earliest_send(kind, now),
                expires_at=expires_at,
                created_at=now,
            )
        ],
        ignore_conflicts=True,
    )
    row = SmsOutbox.objects.get(reason=reason)
    if row.status == Status.PENDING and row.send_after <= now:
        _enqueue("notifications.tasks.sms_outbox_send", row.pk)
    return row


# --- Sending -----------------------------------------------------------------------------------


class RatePacer:
    """Spaces sends ``1 / rate`` seconds apart (0 = unlimited). Clock and sleep are injectable."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self.clock, self.sleep = clock, sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        if not self.interval:
            return
        now = self.clock()
        if self.next_at is not None and now < self.next_at:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


_CODE_DIGITS = re.compile(r"\d{4,8}")


def _redacted(row: SmsOutbox) -> dict[str, str]:
    """Once a login code has left, the outbox must not keep a usable code in clear."""
    if row.kind == SmsKind.LOGIN_CODE:
        return {"text": _CODE_DIGITS.sub(lambda match: "*" * len(match.group()), row.text)}
    return {}


def _claim(row: SmsOutbox, *, now: datetime.datetime, token: str) -> bool:
    """The one place a row becomes ``sending``: a conditional UPDATE that only one worker can win."""
    queryset = SmsOutbox.objects.filter(pk=row.pk, status=Status.PENDING, send_after__lte=now)
    if selectors.quiet_hours_end(now) is not None:
        queryset = queryset.filter(kind__in=[kind.value for kind in URGENT_KINDS])
    return queryset.update(status=Status.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1) == 1


def _finish(row: SmsOutbox, token: str, **fields: Any) -> int:
    """Write an outcome, only if the row is still ours (a sweeper or callback may have moved on)."""
    return SmsOutbox.objects.filter(pk=row.pk, status=Status.SENDING, claim_token=token).update(**fields)


def _backoff(attempts: int) -> datetime.timedelta:
    steps = settings.SMS_RETRY_BACKOFF_SECONDS or [60]
    return datetime.timedelta(seconds=steps[min(max(attempts, 1), len(steps)) - 1])


def _message(row: SmsOutbox) -> SmsMessage:
    return SmsMessage(
        to=row.recipient,
        text=row.text,
        reason=row.reason,
        kind=SmsKind(row.kind),
        status_callback=_status_callback_url(row.pk),
    )


def _deliver(row: SmsOutbox, *, backend: SmsBackend, token: str) -> str:
    """Call the provider for a row we have claimed and record what happened. Returns the outcome."""
    attempts = row.attempts + 1
    try:
        provider_id = backend.send(_message(row))
    except SmsOptedOutError as exc:
        now = timezone.now()
        _finish(
            row,
            token,
            status=Status.OPTED_OUT,
            status_at=now,
            error_code=exc.code,
            error_message=exc.message[:300],
            **_redacted(row),
        )
        sms_recipient_opt_out(phone=row.recipient, source=SmsRecipientPreference.Source.PROVIDER_ERROR)
        return Status.OPTED_OUT
    except SmsPermanentError as exc:
        now = timezone.now()
        _finish(
            row,
            token,
            status=Status.FAILED,
            status_at=now,
            error_code=exc.code,
            error_message=exc.message[:300],
            **_redacted(row),
        )
        return Status.FAILED
    except SmsTransientError as exc:
        now = timezone.now()
        if attempts >= settings.SMS_MAX_ATTEMPTS:
            _finish(
                row,
                token,
                status=Status.FAILED,
                status_at=now,
                error_code=exc.code,
                error_message=exc.message[:300],
                **_redacted(row),
            )
            return Status.FAILED
        _finish(
            row,
            token,
            status=Status.PENDING,
            claim_token="",
            send_after=now + _backoff(attempts),
            error_code=exc.code,
            error_message=exc.message[:300],
        )
        return "retry"
    except SmsOutcomeUnknown as exc:
        _finish(row, token, error_code=exc.code, error_message=exc.message[:300])
        return "unknown"
    except Exception as exc:  # a backend bug: we cannot know whether it sent, so never resend blind
        logger.exception("SMS backend failed for outbox row %s", row.pk)
        _finish(row, token, error_code="backend_error", error_message=str(exc)[:300])
        return "unknown"
    now = timezone.now()
    fields = {"provider_message_id": provider_id, "sent_at": now, "error_code": "", "error_message": ""}
    if not _finish(row, token, status=Status.SENT, status_at=now, **fields, **_redacted(row)):
        # A delivery report overtook us and already moved the row forward: keep its status.
        SmsOutbox.objects.filter(pk=row.pk, provider_message_id="").update(**fields)
    return Status.SENT


def _still_applies(rows: list[SmsOutbox], now: datetime.datetime) -> dict[int, tuple[str, str]]:
    """Rows that must not be sent any more, with the status and code to record instead.

    Checked in bulk right before sending: an expired login code, a reminder to a number that
    opted out, or a message whose owner (the app that planned it, through
    ``registry.register_send_check``) says it no longer applies, e.g. the person certified since.
    """
    verdicts: dict[int, tuple[str, str]] = {}
    optional = [row for row in rows if row.kind == SmsKind.REMINDER]
    opted_out = (
        set(
            SmsRecipientPreference.objects.filter(
                phone_bidx__in={row.recipient_bidx for row in optional}, opted_out_at__isnull=False
            ).values_list("phone_bidx", flat=True)
        )
        if optional
        else set()
    )
    checks = registry.send_checks()
    by_check: dict[registry.SendCheck, list[SmsOutbox]] = {}
    for row in rows:
        check = checks.get(row.template)
        if check is not None:
            by_check.setdefault(check, []).append(row)
    stale: set[int] = set()
    for check, checked in by_check.items():
        stale |= check(checked)
    for row in rows:
        if row.expires_at is not None and row.expires_at <= now:
            verdicts[row.pk] = (Status.CANCELLED, "expired")
        elif row.kind == SmsKind.REMINDER and row.recipient_bidx in opted_out:
            verdicts[row.pk] = (Status.OPTED_OUT, "recipient_opted_out")
        elif row.pk in stale:
            verdicts[row.pk] = (Status.CANCELLED, "no_longer_applies")
    return verdicts


def _skip(row: SmsOutbox, status: str, code: str) -> bool:
    now = timezone.now()
    return bool(
        SmsOutbox.objects.filter(pk=row.pk, status=Status.PENDING).update(
            status=status, status_at=now, error_code=code, **_redacted(row)
        )
    )


def sms_outbox_send(*, outbox_id: int, backend: SmsBackend | None = None) -> str:
    """Send one row now if it is still pending and due (the task behind login codes and replies).

    Safe to run twice or concurrently: the claim decides who sends. Returns the outcome.
    """
    row = SmsOutbox.objects.filter(pk=outbox_id).first()
    if row is None or row.status != Status.PENDING:
        return "skipped"
    now = timezone.now()
    verdict = _still_applies([row], now).get(row.pk)
    if verdict is not None:
        return verdict[0] if _skip(row, *verdict) else "skipped"
    if backend is None:
        try:
            backend = get_backend()
        except SmsError as exc:  # e.g. twilio not configured: the row stays pending for the drain
            logger.error("SMS backend unavailable: %s", exc)
            return "backend_unavailable"
    token = uuid.uuid4().hex
    if not _claim(row, now=now, token=token):
        return "skipped"
    return _deliver(row, backend=backend, token=token)


@dataclass
class DrainResult:
    outcomes: Counter[str] = field(default_factory=Counter)

    @property
    def sent(self) -> int:
        return self.outcomes[Status.SENT]

    @property
    def handled(self) -> int:
        return sum(count for outcome, count in self.outcomes.items() if outcome != "skipped")


def sms_outbox_drain(
    *,
    budget_seconds: float | None = None,
    limit: int | None = None,
    rate: float | None = None,
    backend: SmsBackend | None = None,
) -> DrainResult:
    """Send every due pending row, oldest first, at the configured rate, within a time budget.

    Runs every minute from the schedule; the budget (``SMS_DRAIN_SECONDS``) keeps one run from
    overlapping the next, so the rate holds across runs. During quiet hours only urgent rows go.
    """
    budget = settings.SMS_DRAIN_SECONDS if budget_seconds is None else budget_seconds
    pacer = RatePacer(settings.SMS_RATE_PER_SECOND if rate is None else rate)
    backend = backend or get_backend()
    deadline = time.monotonic() + budget
    result = DrainResult()
    last_pk = 0
    while time.monotonic() < deadline and (limit is None or result.handled < limit):
        now = timezone.now()
        queryset = SmsOutbox.objects.filter(status=Status.PENDING, send_after__lte=now, pk__gt=last_pk)
        if selectors.quiet_hours_end(now) is not None:
            queryset = queryset.filter(kind__in=[kind.value for kind in URGENT_KINDS])
        rows = list(queryset.order_by("pk")[: settings.SMS_DRAIN_BATCH])
        if not rows:
            break
        last_pk = rows[-1].pk
        verdicts = _still_applies(rows, now)
        for row in rows:
            if time.monotonic() >= deadline or (limit is not None and result.handled >= limit):
                break
            verdict = verdicts.get(row.pk)
            if verdict is not None:
                result.outcomes[verdict[0] if _skip(row, *verdict) else "skipped"] += 1
                continue
            token = uuid.uuid4().hex
            if not _claim(row, now=timezone.now(), token=token):
                result.outcomes["skipped"] += 1
                continue
            pacer.wait()
            result.outcomes[_deliver(row, backend=backend, token=token)] += 1
    return result


@dataclass
class SweepResult:
    recovered_sent: int = 0
    requeued: int = 0
    failed_unknown: int = 0
    inbound_requeued: int = 0


def sms_outbox_sweep(*, backend: SmsBackend | None = None, now: datetime.datetime | None = None) -> SweepResult:
    """Settle rows left ``sending`` by a crashed or timed-out worker (every few minutes).

    The backend is asked whether the message went out after the claim: yes → ``sent`` with the
    provider id; no → back to ``pending`` (the drain sends it, once); cannot tell → ``failed`` with
    ``outcome_unknown``, because sending twice is worse than a reminder staff can resend by hand.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.SMS_STUCK_AFTER_SECONDS)
    backend = backend or get_backend()
    result = SweepResult()
    stuck = SmsOutbox.objects.filter(status=Status.SENDING, claimed_at__lt=cutoff).order_by("pk")[:1000]
    for row in stuck:
        found = backend.lookup(_message(row), since=row.claimed_at or cutoff)  # claimed_at is set when sending
        mine = SmsOutbox.objects.filter(pk=row.pk, status=Status.SENDING, claim_token=row.claim_token)
        if found == Lookup.UNKNOWN:
            result.failed_unknown += mine.update(
                status=Status.FAILED, status_at=now, error_code="outcome_unknown", **_redacted(row)
            )
        elif found == Lookup.NOT_SENT:
            if row.attempts >= settings.SMS_MAX_ATTEMPTS:
                result.failed_unknown += mine.update(
                    status=Status.FAILED, status_at=now, error_code="crashed_too_often", **_redacted(row)
                )
            else:
                result.requeued += mine.update(
                    status=Status.PENDING, claim_token="", send_after=now, error_code="recovered_after_crash"
                )
        else:
            result.recovered_sent += mine.update(
                status=Status.SENT,
                status_at=now,
                sent_at=now,
                provider_message_id=found,
                error_code="",
                **_redacted(row),
            )
    stale_inbound = SmsInbound.objects.filter(
        action=SmsInbound.Action.PENDING, received_at__lt=now - datetime.timedelta(minutes=2)
    ).values_list("pk", flat=True)[:500]
    for inbound_id in stale_inbound:
        _enqueue("notifications.tasks.sms_inbound_process", inbound_id)
        result.inbound_requeued += 1
    return result


# --- Delivery reports --------------------------------------------------------------------------

PROVIDER_STATUS = {
    "accepted": Status.SENT,
    "scheduled": Status.SENT,
    "queued": Status.SENT,
    "sending": Status.SENT,
    "sent": Status.SENT,
    "delivered": Status.DELIVERED,
    "read": Status.DELIVERED,
    "partially_delivered": Status.DELIVERED,
    "undelivered": Status.UNDELIVERED,
    "failed": Status.FAILED,
    "canceled": Status.FAILED,
}
RANK = {
    Status.PENDING: 0,
    Status.SENDING: 1,
    Status.SENT: 2,
    Status.DELIVERED: 3,
    Status.UNDELIVERED: 3,
    Status.FAILED: 3,
    Status.OPTED_OUT: 3,
    Status.CANCELLED: 3,
}


def sms_status_update(
    *, provider_message_id: str, provider_status: str, error_code: str = "", outbox_id: int | None = None
) -> SmsOutbox | None:
    """Apply a delivery report. Forward-only, so repeats and late or out-of-order reports are no-ops.

    ``outbox_id`` comes from our callback URL, so a report that overtakes our own "sent" write
    (or follows a read timeout) still finds its row. Unknown ids are ignored.
    """
    new_status = PROVIDER_STATUS.get((provider_status or "").lower())
    if new_status is None:
        return None
    row = None
    if outbox_id is not None:
        row = SmsOutbox.objects.filter(pk=outbox_id).first()
        if row is not None and row.provider_message_id and row.provider_message_id != provider_message_id:
            row = None
    if row is None and provider_message_id:
        row = SmsOutbox.objects.filter(provider_message_id=provider_message_id).order_by("pk").first()
    if row is None:
        return None
    if str(error_code) == "21610":
        new_status = Status.OPTED_OUT
        sms_recipient_opt_out(phone=row.recipient, source=SmsRecipientPreference.Source.PROVIDER_ERROR)
    now = timezone.now()
    earlier = [status for status, rank in RANK.items() if rank < RANK[new_status]]
    fields: dict[str, Any] = {"status": new_status, "status_at": now, **_redacted(row)}
    if error_code:
        fields["error_code"] = str(error_code)[:40]
    if not row.provider_message_id:
        fields["provider_message_id"] = provider_message_id
    if row.sent_at is None:
        fields["sent_at"] = now
    SmsOutbox.objects.filter(pk=row.pk, status__in=earlier).update(**fields)
    row.refresh_from_db()
    return row


# --- Preferences -------------------------------------------------------------------------------


def sms_recipient_opt_out(*, phone: str, source: str) -> SmsRecipientPreference:
    """Stop optional SMS (reminders) to this number. Legally required notices still go."""
    SmsRecipientPreference.objects.bulk_create([SmsRecipientPreference(phone=phone)], ignore_conflicts=True)
    preference = SmsRecipientPreference.objects.filter(phone_bidx=phone_index(phone))
    preference.filter(opted_out_at__isnull=True).update(
        opted_out_at=timezone.now(), source=source, updated_at=timezone.now()
    )
    return preference.get()


def sms_recipient_opt_in(*, phone: str, source: str) -> SmsRecipientPreference:
    SmsRecipientPreference.objects.bulk_create([SmsRecipientPreference(phone=phone)], ignore_conflicts=True)
    preference = SmsRecipientPreference.objects.filter(phone_bidx=phone_index(phone))
    preference.update(opted_out_at=None, source=source, updated_at=timezone.now())
    return preference.get()
