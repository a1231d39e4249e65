"""The intent labels. Evaluation files use exactly these strings."""

from __future__ import annotations

from enum import StrEnum


class Intent(StrEnum):
    CHECK_STATUS = "check_status"
    NEXT_DUE = "next_due"
    HOW_TO_CERTIFY = "how_to_certify"
    FACE_FAILED = "face_failed"
    PROXY_CERTIFY = "proxy_certify"
    REPORT_DEATH = "report_death"
    SUSPENDED = "suspended"
    SILENT_CERT = "silent_cert"
    REMOTE_ABROAD = "remote_abroad"
    HUMAN = "human"
    GREETING = "greeting"
    THANKS = "thanks"
    CANCEL = "cancel"
    OTHER = "other"


INTENTS: tuple[str, ...] = tuple(i.value for i in Intent)
