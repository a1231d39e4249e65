"""django-q2 entry points (referenced by dotted path from schedules and ``async_task``).

Thin on purpose: each calls one service and returns a small dict that the admin shows as the
task result. Every one of them is safe to run twice.
"""

from __future__ import annotations

from dataclasses import asdict

from notifications import services


def sms_outbox_send(outbox_id: int) -> str:
    return services.sms_outbox_send(outbox_id=outbox_id)


def sms_outbox_drain() -> dict[str, int]:
    return dict(services.sms_outbox_drain().outcomes)


def sms_outbox_sweep() -> dict[str, int]:
    return asdict(services.sms_outbox_sweep())


def sms_inbound_process(inbound_id: int) -> str:
    return services.sms_inbound_process(inbound_id=inbound_id)
