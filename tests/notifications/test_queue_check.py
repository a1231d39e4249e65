"""``manage.py sms_queue_check``: the supervisor's liveness check of the task cluster."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from notifications.models import SmsOutbox

pytestmark = pytest.mark.django_db


def _row(kind: str, waited: float, **extra) -> SmsOutbox:  # type: ignore[no-untyped-def]
    return SmsOutbox.objects.create(
        recipient="+8613800000001",
        kind=kind,
        template=kind,
        text="x",
        reason=f"check:{kind}:{waited}",
        send_after=timezone.now() - datetime.timedelta(seconds=waited),
        **extra,
    )


def _check(max_age: float = 120) -> str:
    out = io.StringIO()
    call_command("sms_queue_check", max_age=max_age, stdout=out)
    return out.getvalue()


def test_a_login_code_waiting_too_long_fails_the_check():
    _row("login_code", 300)
    with pytest.raises(CommandError, match="stuck"):
        _check()


def test_recent_urgent_sms_pass_the_check():
    _row("notice", 5)
    assert _check().startswith("ok")


def test_reminders_sent_ones_and_later_ones_do_not_count():
    _row("reminder", 3600)  # paced by the drain on purpose
    _row("login_code", 3600, status="sent")
    _row("notice", -3600)  # quiet hours: due in the morning
    assert _check() == "ok\n"
