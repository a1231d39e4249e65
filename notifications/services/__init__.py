"""The SMS transport's services: the outbox and sending (``outbox``), opt-out and inbound messages
(``inbound``), bulk planning for the apps above (``planning``)."""

from notifications.services.inbound import sms_inbound_process, sms_inbound_receive
from notifications.services.outbox import (
    DrainResult,
    RatePacer,
    SweepResult,
    sms_outbox_drain,
    sms_outbox_send,
    sms_outbox_sweep,
    sms_recipient_opt_in,
    sms_recipient_opt_out,
    sms_send,
    sms_status_update,
)
from notifications.services.planning import (
    Planned,
    PlanResult,
    chunks,
    plan_candidates,
    sms_drain_soon,
    sms_plan,
)

__all__ = [
    "DrainResult",
    "PlanResult",
    "Planned",
    "RatePacer",
    "SweepResult",
    "chunks",
    "plan_candidates",
    "sms_drain_soon",
    "sms_inbound_process",
    "sms_inbound_receive",
    "sms_outbox_drain",
    "sms_outbox_send",
    "sms_outbox_sweep",
    "sms_plan",
    "sms_recipient_opt_in",
    "sms_recipient_opt_out",
    "sms_send",
    "sms_status_update",
]
