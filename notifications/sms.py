"""The one SMS interface. Callers use ``notifications.services.sms_send``; backends only deliver.

Backends: ``console`` (development: the text is logged and printed), ``file`` (one JSON line per
message), ``memory`` (tests read ``MemoryBackend.outbox``). The twilio backend plugs in here too.
"""

from __future__ import annotations

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
    NOTICE = "notice"  # legally required notices: sent even to opted-out numbers
    REMINDER = "reminder"  # may be opted out of and waits for the morning


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    reason: str  # dedupe key: one SMS per reason, ever
    kind: SmsKind = SmsKind.NOTICE


class SmsBackend:
    def send(self, message: SmsMessage) -> str:
        """Deliver and return the provider's message id; raise on failure."""
        raise NotImplementedError


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


class MemoryBackend(SmsBackend):
    outbox: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> str:
        self.outbox.append(message)
        return f"memory-{len(self.outbox)}"


BACKENDS = {
    "console": ConsoleBackend,
    "file": FileBackend,
    "memory": MemoryBackend,
}


def get_backend(name: str | None = None) -> SmsBackend:
    name = name or settings.SMS_BACKEND
    backend_class = BACKENDS.get(name) or import_string(name)
    return backend_class()
