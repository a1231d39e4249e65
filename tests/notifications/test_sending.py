"""The outbox: dedupe, quiet hours, opt-out, retries, permanent errors, crash recovery, pacing."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from backend.lookups import phone_index
from notifications.models import SmsOutbox, SmsRecipientPreference
from notifications.services import (
    RatePacer,
    outbox,
    sms_outbox_drain,
    sms_outbox_send,
    sms_outbox_sweep,
    sms_recipient_opt_out,
    sms_send,
)
from notifications.sms import (
    MemoryBackend,
    SmsKind,
    SmsOptedOutError,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsTransientError,
)
from selfservice.reminders import reminders_plan
from tests.factories import PensionerFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
NIGHT = datetime.datetime(2026, 11, 23, 22, 0, tzinfo=SHANGHAI)
pytestmark = pytest.mark.django_db


def notice(reason: str = "case:1", kind: SmsKind = SmsKind.NOTICE, to: str = "+8613800000001") -> SmsOutbox:
    return sms_send(to=to, text="【人社局】您的申请已受理。", reason=reason, kind=kind)


# --- dedupe ------------------------------------------------------------------------------------


def test_the_same_reason_is_sent_once_however_often_it_is_asked(sms_outbox):
    with time_machine.travel(DAY, tick=False):
        first = notice()
        second = notice()
    assert first.pk == second.pk
    assert len(sms_outbox) == 1
    assert SmsOutbox.objects.get().status == "sent"


def test_the_reason_is_unique_in_the_database():
    from django.db import IntegrityError

    SmsOutbox.objects.create(recipient="+8613800000001", kind="notice", template="x", text="a", reason="r:1")
    with pytest.raises(IntegrityError):
        SmsOutbox.objects.create(recipient="+8613800000002", kind="notice", template="x", text="b", reason="r:1")


# --- quiet hours -------------------------------------------------------------------------------


def test_login_codes_go_out_at_night(sms_outbox):
    with time_machine.travel(NIGHT, tick=False):
        sms_send(to="+8613800000001", text="【人社局】验证码123456", reason="otc:1", kind=SmsKind.LOGIN_CODE)
    assert [message.reason for message in sms_outbox] == ["otc:1"]


def test_a_notice_written_at_night_waits_for_eight_in_the_morning(sms_outbox):
    with time_machine.travel(NIGHT, tick=False):
        row = notice()
        sms_outbox_drain()
    assert sms_outbox == []
    assert row.send_after == datetime.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    with time_machine.travel(datetime.datetime(2026, 11, 24, 7, 59, tzinfo=SHANGHAI), tick=False):
        sms_outbox_drain()
    assert sms_outbox == []
    with time_machine.travel(datetime.datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI), tick=False):
        sms_outbox_drain()
    assert len(sms_outbox) == 1


def test_reminders_planned_in_the_evening_are_held_until_morning(sms_outbox):
    PensionerFactory(next_due=datetime.date(2026, 11, 30))
    with time_machine.travel(NIGHT, tick=False):
        reminders_plan()
        sms_outbox_drain()
    assert sms_outbox == []
    with time_machine.travel(NIGHT + datetime.timedelta(hours=10), tick=False):
        sms_outbox_drain()
    assert len(sms_outbox) == 1


def test_a_row_due_before_quiet_hours_is_still_held_when_the_drain_runs_at_night(sms_outbox):
    with time_machine.travel(DAY, tick=False):
        row = SmsOutbox.objects.create(
            recipient="+8613800000001", kind="reminder", template="x", text="t", reason="r:1", send_after=DAY
        )
    with time_machine.travel(NIGHT, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "skipped"
        sms_outbox_drain()
    assert sms_outbox == []


def test_quiet_hours_use_shanghai_time_whatever_the_server_zone(settings, sms_outbox):
    settings.TIME_ZONE = "UTC"
    # 14:00 UTC is 22:00 in Shanghai.
    with time_machine.travel(datetime.datetime(2026, 11, 23, 14, 0, tzinfo=datetime.UTC), tick=False):
        notice()
    assert sms_outbox == []


# --- opt-out -----------------------------------------------------------------------------------


def test_an_opted_out_number_gets_no_reminders_but_still_gets_notices(sms_outbox):
    phone = "+8613800000009"
    sms_recipient_opt_out(phone=phone, source="keyword")
    with time_machine.travel(DAY, tick=False):
        reminder = sms_send(to=phone, text="提醒", reason="reminder:1", kind=SmsKind.REMINDER)
        required = sms_send(to=phone, text="通知", reason="overdue:1", kind=SmsKind.NOTICE)
    reminder.refresh_from_db()
    required.refresh_from_db()
    assert (reminder.status, reminder.error_code) == ("opted_out", "recipient_opted_out")
    assert required.status == "sent"
    assert [message.reason for message in sms_outbox] == ["overdue:1"]


def test_provider_21610_marks_the_row_and_the_number_opted_out(sms_outbox):
    MemoryBackend.failures.append(SmsOptedOutError("21610", "unsubscribed recipient"))
    with time_machine.travel(DAY, tick=False):
        row = notice()
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("opted_out", "21610")
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(row.recipient)).source == "provider_error"


# --- retries and permanent errors --------------------------------------------------------------


def test_a_transient_error_is_retried_later_with_backoff(settings, sms_outbox):
    settings.SMS_RETRY_BACKOFF_SECONDS = [30, 120]
    MemoryBackend.failures.extend([SmsTransientError("20429", "too many requests")] * 2)
    with time_machine.travel(DAY, tick=False):
        row = notice()
        row.refresh_from_db()
        assert (row.status, row.attempts, row.error_code) == ("pending", 1, "20429")
        assert row.send_after == DAY + datetime.timedelta(seconds=30)
        sms_outbox_drain()  # not due yet
        assert SmsOutbox.objects.get().attempts == 1
    with time_machine.travel(DAY + datetime.timedelta(seconds=30), tick=False):
        sms_outbox_drain()  # second failure: the next wait is longer
        assert SmsOutbox.objects.get().send_after == DAY + datetime.timedelta(seconds=150)
    with time_machine.travel(DAY + datetime.timedelta(seconds=150), tick=False):
        sms_outbox_drain()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("sent", 3, "")
    assert len(sms_outbox) == 1


def test_transient_errors_give_up_after_the_maximum_attempts(settings):
    settings.SMS_MAX_ATTEMPTS = 2
    settings.SMS_RETRY_BACKOFF_SECONDS = [1]
    MemoryBackend.failures.extend([SmsTransientError("20500", "server error")] * 2)
    with time_machine.travel(DAY, tick=False):
        row = notice()
    with time_machine.travel(DAY + datetime.timedelta(seconds=5), tick=False):
        sms_outbox_drain()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("failed", 2, "20500")


def test_an_invalid_number_is_a_permanent_failure_and_not_retried(sms_outbox):
    MemoryBackend.failures.append(SmsPermanentError("21211", "invalid To number"))
    with time_machine.travel(DAY, tick=False):
        row = notice()
        sms_outbox_drain()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.error_code) == ("failed", 1, "21211")
    assert sms_outbox == []


def test_a_login_code_is_not_kept_in_clear_once_sent():
    with time_machine.travel(DAY, tick=False):
        row = sms_send(
            to="+8613800000001", text="【人社局】验证码为482913，5分钟内有效", reason="otc:7", kind=SmsKind.LOGIN_CODE
        )
    row.refresh_from_db()
    assert row.status == "sent"
    assert "482913" not in row.text and "******" in row.text


def test_a_login_code_that_could_not_be_sent_in_time_is_cancelled_not_sent_late(sms_outbox):
    MemoryBackend.failures.append(SmsTransientError("connection_error", "refused"))
    with time_machine.travel(DAY, tick=False):
        row = sms_send(to="+8613800000001", text="验证码111111", reason="otc:8", kind=SmsKind.LOGIN_CODE)
    with time_machine.travel(DAY + datetime.timedelta(minutes=10), tick=False):
        sms_outbox_drain()
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("cancelled", "expired")
    assert sms_outbox == []


def test_a_reminder_is_cancelled_if_the_person_certified_before_it_went_out(sms_outbox):
    pensioner = PensionerFactory(next_due=datetime.date(2026, 11, 30))
    with time_machine.travel(NIGHT, tick=False):
        reminders_plan()
    pensioner.next_due = datetime.date(2027, 11, 23)
    pensioner.save(update_fields=["next_due"])
    with time_machine.travel(NIGHT + datetime.timedelta(hours=10), tick=False):
        sms_outbox_drain()
    assert SmsOutbox.objects.get().status == "cancelled"
    assert sms_outbox == []


# --- crashes -----------------------------------------------------------------------------------


def crash_after_provider_call(monkeypatch):  # type: ignore[no-untyped-def]
    """The provider took the message, then the worker died before writing "sent"."""

    def die(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SystemExit("worker killed")

    monkeypatch.setattr(outbox, "_finish", die)


def test_a_retried_task_after_a_crash_between_send_and_status_update_does_not_resend(monkeypatch, sms_outbox):
    with time_machine.travel(DAY, tick=False):
        row = SmsOutbox.objects.create(
            recipient="+8613800000001", kind="notice", template="x", text="t", reason="r:crash", send_after=DAY
        )
        with monkeypatch.context() as patch:
            crash_after_provider_call(patch)
            with pytest.raises(SystemExit):
                sms_outbox_send(outbox_id=row.pk)
        assert len(sms_outbox) == 1
        assert SmsOutbox.objects.get().status == "sending"
        # django-q2 presents the task again (ORM broker receipt); the claim is gone, so nothing is sent.
        assert sms_outbox_send(outbox_id=row.pk) == "skipped"
        sms_outbox_drain()
    assert len(sms_outbox) == 1


def test_the_sweeper_settles_a_crashed_send_as_sent_when_the_provider_has_it(monkeypatch, sms_outbox):
    with time_machine.travel(DAY, tick=False):
        row = SmsOutbox.objects.create(
            recipient="+8613800000001", kind="notice", template="x", text="t", reason="r:crash", send_after=DAY
        )
        with monkeypatch.context() as patch:
            crash_after_provider_call(patch)
            with pytest.raises(SystemExit):
                sms_outbox_send(outbox_id=row.pk)
    with time_machine.travel(DAY + datetime.timedelta(minutes=5), tick=False):
        assert sms_outbox_sweep().recovered_sent == 0  # not stuck long enough yet
    with time_machine.travel(DAY + datetime.timedelta(minutes=11), tick=False):
        assert sms_outbox_sweep().recovered_sent == 1
        sms_outbox_drain()
    row.refresh_from_db()
    assert row.status == "sent" and row.provider_message_id
    assert len(sms_outbox) == 1


def test_a_crash_before_the_provider_call_is_sent_once_after_the_sweep(sms_outbox):
    MemoryBackend.failures.append(SystemExit("worker killed before the HTTP call"))
    with time_machine.travel(DAY, tick=False):
        row = SmsOutbox.objects.create(
            recipient="+8613800000001", kind="notice", template="x", text="t", reason="r:early", send_after=DAY
        )
        with pytest.raises(SystemExit):
            sms_outbox_send(outbox_id=row.pk)
    with time_machine.travel(DAY + datetime.timedelta(minutes=11), tick=False):
        assert sms_outbox_sweep().requeued == 1
        sms_outbox_drain()
        sms_outbox_drain()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(sms_outbox) == 1


def test_when_nobody_can_tell_whether_it_went_out_the_row_fails_instead_of_risking_a_duplicate(monkeypatch):
    monkeypatch.setattr(MemoryBackend, "lookup", lambda self, message, since: "unknown")
    MemoryBackend.failures.append(SmsOutcomeUnknown("timeout", "read timed out"))
    with time_machine.travel(DAY, tick=False):
        row = notice()
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("sending", "timeout")
    with time_machine.travel(DAY + datetime.timedelta(minutes=11), tick=False):
        assert sms_outbox_sweep().failed_unknown == 1
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("failed", "outcome_unknown")


# --- pacing ------------------------------------------------------------------------------------


def test_the_pacer_spaces_sends_at_the_configured_rate():
    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock[0] += seconds

    pacer = RatePacer(4, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]


def test_an_unlimited_rate_never_sleeps():
    pacer = RatePacer(0, clock=lambda: 0.0, sleep=lambda seconds: pytest.fail("slept"))
    for _ in range(3):
        pacer.wait()


def test_the_drain_stops_at_its_limit_and_leaves_the_rest_pending(sms_outbox):
    with time_machine.travel(NIGHT, tick=False):
        for number in range(5):
            notice(reason=f"case:{number}")
    with time_machine.travel(NIGHT + datetime.timedelta(hours=10), tick=False):
        assert sms_outbox_drain(limit=3).sent == 3
    assert SmsOutbox.objects.filter(status="pending").count() == 2
