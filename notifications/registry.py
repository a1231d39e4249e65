"""What the apps above the SMS transport plug into it, registered from their ``AppConfig.ready``.

The transport knows nothing about pensioners or chat: an inbound message that is not an opt-out
keyword is offered to the registered handlers, and a planned message whose template has a
registered check is dropped at send time when its owner says it no longer applies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from notifications.models import SmsInbound, SmsOutbox

#: ``handler(inbound=...)`` returns True when it took the message.
InboundHandler = Callable[..., bool]
#: ``check(rows)`` returns the ids of the rows that must not be sent any more.
SendCheck = Callable[[list["SmsOutbox"]], set[int]]

_inbound_handlers: list[InboundHandler] = []
_send_checks: dict[str, SendCheck] = {}


def register_inbound_handler(handler: InboundHandler) -> None:
    if handler not in _inbound_handlers:
        _inbound_handlers.append(handler)


def inbound_handlers() -> tuple[InboundHandler, ...]:
    return tuple(_inbound_handlers)


def register_send_check(*, templates: Iterable[str], check: SendCheck) -> None:
    """Before sending a row with one of ``templates``, ask ``check`` whether it still applies."""
    for template in templates:
        _send_checks[template] = check


def send_checks() -> dict[str, SendCheck]:
    return dict(_send_checks)


def handle_inbound(inbound: SmsInbound) -> bool:
    return any(handler(inbound=inbound) for handler in _inbound_handlers)
