"""What the dialogue asks to be done, and what came of it.

The dialogue only reads. A write it needs (a death report, a callback request, an audit entry for
reading someone else's status) is returned as one of these commands; ``chatbot.services`` carries
it out with the owning app's service and hands the outcome back to the flow that asked, which
turns it into the reply.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from accounts.models import Pensioner, Region


@dataclass(frozen=True)
class AuditStatusRead:
    """Someone read the status of a pensioner who is not themself (no reply depends on it)."""

    pensioner: Pensioner


@dataclass(frozen=True)
class SubmitDeathReport:
    """The reporter confirmed every answer; submit through ``casework.services.death_report_submit``."""

    pensioner_id: int
    date_of_death: datetime.date
    place: str
    client_request_id: uuid.UUID


@dataclass(frozen=True)
class RequestCallback:
    """The person asked a member of staff to call them back."""

    phone: str
    pensioner: Pensioner | None
    region: Region | None
    topic: str


Effect = AuditStatusRead
Command = SubmitDeathReport | RequestCallback


@dataclass(frozen=True)
class DeathReportSubmitted:
    case_id: int


@dataclass(frozen=True)
class DeathReportRefused:
    code: str
    message: str


@dataclass(frozen=True)
class CallbackRequested:
    callback_id: int


Outcome = DeathReportSubmitted | DeathReportRefused | CallbackRequested
