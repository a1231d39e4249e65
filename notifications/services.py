from __future__ import annotations

from notifications.sms import SmsKind, SmsMessage, get_backend


def sms_send(*, to: str, text: str, reason: str, kind: SmsKind = SmsKind.NOTICE) -> str:
    """Send one SMS for ``reason`` (a dedupe key such as ``login_code:<id>``); returns the provider id."""
    return get_backend().send(SmsMessage(to=to, text=text, reason=reason, kind=kind))
