"""The one SMS interface. Callers use ``notifications.services.sms_send``; backends only deliver.

Backends: ``console`` (development: the text is logged and printed), ``file`` (one JSON line per
message), ``memory`` (tests read ``MemoryBackend.outbox``) and ``twilio`` (the real client).

A backend either returns the provider's message id or raises one of the ``Sms*Error`` classes
below, which tell the outbox what to do next: retry later, give up, mark the number opted out,
or leave the row for the sweeper because the provider may or may not have taken the message.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys
import threading
import uuid
from dataclasses import asdict, dataclass
from enum import StrEnum

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsKind(StrEnum):
    LOGIN_CODE = "login_code"  # urgent: never waits for quiet hours, never opted out
    REPLY = "reply"  # answers a message the person just sent: never waits, never opted out
    NOTICE = "notice"  # legally required notices: sent even to opted-out numbers, waits for the morning
    REMINDER = "reminder"  # reminders and information: may be opted out of and waits for the morning


URGENT_KINDS = frozenset({SmsKind.LOGIN_CODE, SmsKind.REPLY})


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    reason: str  # dedupe key: one SMS per reason, ever
    kind: SmsKind = SmsKind.NOTICE
    status_callback: str | None = None  # where the provider reports delivery (twilio only)


class SmsError(Exception):
    """Base class; ``code`` is what we store in ``SmsOutbox.error_code``."""

    def __init__(self, code: str, message: str = "") -> None:
        self.code = str(code)
        self.message = message
        super().__init__(f"{code}: {message}")


class SmsTransientError(SmsError):
    """The provider did not take the message; trying again later is safe."""


class SmsPermanentError(SmsError):
    """The provider refused this message for good (invalid number, blocked region...)."""


class SmsOptedOutError(SmsPermanentError):
    """The recipient told the provider to stop (twilio 21610)."""


class SmsOutcomeUnknown(SmsError):
    """The request may have reached the provider (read timeout, broken response): never resend blind."""


class Lookup(StrEnum):
    """What a backend knows, after a crash, about whether a message went out."""

    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


class SmsBackend:
    def send(self, message: SmsMessage) -> str:
        """Deliver and return the provider's message id; raise an ``SmsError`` on failure."""
        raise NotImplementedError

    def lookup(self, message: SmsMessage, *, since: datetime.datetime) -> str | Lookup:
        """After a crash: the provider id if ``message`` was sent after ``since``, or what we know."""
        return Lookup.UNKNOWN


class ConsoleBackend(SmsBackend):
    def send(self, message: SmsMessage) -> str:
        line = f"[SMS to {message.to}] {message.text}"
        logger.info(line)
        print(line, file=sys.stderr, flush=True)
        return f"console-{uuid.uuid4().hex}"


class FileBackend(SmsBackend):
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> str:
        provider_id = f"file-{uuid.uuid4().hex}"
        record = asdict(message) | {"provider_id": provider_id, "at": timezone.now().isoformat()}
        settings.SMS_FILE_PATH.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, settings.SMS_FILE_PATH.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return provider_id

    def lookup(self, message: SmsMessage, *, since: datetime.datetime) -> str | Lookup:
        if not settings.SMS_FILE_PATH.exists():
            return Lookup.NOT_SENT
        with settings.SMS_FILE_PATH.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                if record.get("reason") == message.reason:
                    return record["provider_id"]
        return Lookup.NOT_SENT


class MemoryBackend(SmsBackend):
    """For tests. ``outbox`` is what was delivered; ``failures`` are raised by the next sends, in order."""

    outbox: list[SmsMessage] = []
    failures: list[BaseException] = []
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> str:
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            self.outbox.append(message)
            return f"memory-{len(self.outbox)}-{uuid.uuid4().hex[:8]}"

    def lookup(self, message: SmsMessage, *, since: datetime.datetime) -> str | Lookup:
        for position, sent in enumerate(self.outbox, start=1):
            if sent.reason == message.reason:
                return f"memory-{position}"
        return Lookup.NOT_SENT


# --- twilio ------------------------------------------------------------------------------------

# Twilio error codes (https://www.twilio.com/docs/api/errors) we treat specially.
TWILIO_OPTED_OUT = 21610  # the recipient replied STOP
TWILIO_PERMANENT = frozenset(
    {
        21211,  # invalid 'To' number
        21212,  # invalid 'From' number
        21408,  # permission to send to this region not enabled
        21612,  # 'To' number not reachable via this sender
        21614,  # 'To' number is not a mobile number
        21606,  # 'From' number not capable of SMS
        30003,  # unreachable destination handset
        30005,  # unknown destination handset
        30006,  # landline or unreachable carrier
    }
)
TWILIO_TRANSIENT = frozenset({20429, 20500, 20503, 30001})  # too many requests, server errors, queue overflow


class TwilioBackend(SmsBackend):
    """The real ``twilio.rest.Client``. Tests swap ``http_client_factory`` for a local stub."""

    @staticmethod
    def http_client_factory():  # type: ignore[no-untyped-def]
        from twilio.http.http_client import TwilioHttpClient

        return TwilioHttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS)

    def __init__(self) -> None:
        from twilio.rest import Client

        if not settings.TWILIO_ACCOUNT_SID or not settings.TWILIO_AUTH_TOKEN:
            raise SmsTransientError("twilio_not_configured", "TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set")
        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=type(self).http_client_factory()
        )

    def send(self, message: SmsMessage) -> str:
        import requests
        from twilio.base.exceptions import TwilioException, TwilioRestException

        sender: dict[str, str] = (
            {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
            if settings.TWILIO_MESSAGING_SERVICE_SID
            else {"from_": settings.TWILIO_FROM}
        )
        extra: dict[str, str] = {"status_callback": message.status_callback} if message.status_callback else {}
        try:
            created = self.client.messages.create(to=message.to, body=message.text, **sender, **extra)
        except TwilioRestException as exc:
            raise _twilio_error(exc) from exc
        except requests.exceptions.RequestException as exc:
            if _never_reached(exc):
                raise SmsTransientError("connection_error", str(exc)[:200]) from exc
            # A read timeout or a dropped connection after the request went out: twilio may have
            # created the message. Leave the row to the sweeper, which asks twilio before resending.
            raise SmsOutcomeUnknown(
                "timeout" if isinstance(exc, requests.exceptions.Timeout) else "connection_lost", str(exc)[:200]
            ) from exc
        except TwilioException as exc:
            raise SmsOutcomeUnknown("provider_error", str(exc)[:200]) from exc
        return created.sid

    def lookup(self, message: SmsMessage, *, since: datetime.datetime) -> str | Lookup:
        """Twilio has no idempotency key for messages, so match the recipient and the exact body."""
        try:
            recent = self.client.messages.list(to=message.to, limit=50)
        except Exception as exc:
            logger.warning("twilio lookup failed: %s", exc)
            return Lookup.UNKNOWN
        window_start = since - datetime.timedelta(minutes=1)
        for item in recent:
            created = item.date_created
            if item.body == message.text and (created is None or created >= window_start):
                return item.sid
        return Lookup.NOT_SENT


def _never_reached(exc: Exception) -> bool:
    """True when the connection was never established (refused, DNS, connect timeout)."""
    import requests
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    cause = exc.args[0] if exc.args else None
    if isinstance(cause, MaxRetryError):
        cause = cause.reason
    return isinstance(cause, NewConnectionError)


def _twilio_error(exc) -> SmsError:  # type: ignore[no-untyped-def]
    code = exc.code
    text = str(exc.msg or "")[:200]
    if code == TWILIO_OPTED_OUT:
        return SmsOptedOutError(str(code), text)
    if code in TWILIO_PERMANENT:
        return SmsPermanentError(str(code), text)
    if code in TWILIO_TRANSIENT or exc.status == 429 or exc.status >= 500:
        return SmsTransientError(str(code or f"http_{exc.status}"), text)
    if exc.status in (401, 403):  # wrong credentials: keep the messages and retry while ops fix it
        return SmsTransientError(str(code or f"http_{exc.status}"), text)
    return SmsPermanentError(str(code or f"http_{exc.status}"), text)


BACKENDS: dict[str, type[SmsBackend]] = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "memory": MemoryBackend,
    "twilio": TwilioBackend,
}


def get_backend(name: str | None = None) -> SmsBackend:
    name = name or settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()
