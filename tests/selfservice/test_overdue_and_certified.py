"""After the grace period the benefit is suspended (with how to restore it); certifying sends "complete"."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from accounts.models import AuditEvent, Pensioner
from notifications.models import SmsOutbox
from notifications.services import sms_outbox_drain
from selfservice.reminders import certification_daily, reminders_plan
from selfservice.services import certification_record
from tests.factories import PensionerFactory, RelativeLinkFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2026, 11, 23, 7, 30, tzinfo=SHANGHAI)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_test_settings")]


def daily(moment: datetime.datetime = MORNING):  # type: ignore[no-untyped-def]
    with time_machine.travel(moment, tick=False):
        return certification_daily()


def test_a_full_grace_period_after_the_due_date_the_benefit_is_suspended_and_audited():
    late = PensionerFactory(next_due=datetime.date(2026, 10, 24))  # 30 days overdue
    still_in_grace = PensionerFactory(next_due=datetime.date(2026, 10, 25))
    result = daily()
    late.refresh_from_db()
    still_in_grace.refresh_from_db()
    assert result.suspended == 1
    assert (late.benefit_status, late.suspension_reason, late.status_since) == (
        "suspended",
        "overdue",
        datetime.date(2026, 11, 23),
    )
    assert still_in_grace.benefit_status == "active"
    assert AuditEvent.objects.filter(action="pensioner.suspend", pensioner_id_ref=late.pk).count() == 1


def test_the_suspended_pensioner_and_relatives_are_told_how_to_restore_it(sms_outbox):
    late = PensionerFactory(next_due=datetime.date(2026, 10, 24))
    relative = RelativeLinkFactory(pensioner=late).relative
    daily()
    rows = {row.recipient: row for row in SmsOutbox.objects.filter(pensioner_id_ref=late.pk)}
    assert rows[late.phone].template == "suspended"
    assert rows[relative.phone].template == "suspended_relative"
    assert "暂停发放" in rows[late.phone].text and "即可恢复" in rows[late.phone].text
    assert rows[late.phone].status == "pending"  # 07:30 is still quiet hours: they wait for 08:00
    with time_machine.travel(MORNING.replace(hour=8, minute=0), tick=False):
        sms_outbox_drain()
    assert {message.to for message in sms_outbox} == {late.phone, relative.phone}


def test_running_the_daily_job_again_suspends_and_sends_nothing_more():
    PensionerFactory(next_due=datetime.date(2026, 10, 1))
    daily()
    rows = SmsOutbox.objects.count()
    again = daily(MORNING.replace(hour=11))
    assert again.suspended == 0
    assert again.plan.total_created == 0
    assert SmsOutbox.objects.count() == rows


def test_a_person_already_suspended_by_the_office_for_overdue_gets_the_restore_instructions_once():
    PensionerFactory(
        next_due=datetime.date(2026, 9, 1),
        benefit_status="suspended",
        suspension_reason="overdue",
        status_since=datetime.date(2026, 11, 20),
    )
    assert daily().plan.created == {"suspended": 1}
    assert daily(MORNING + datetime.timedelta(days=1)).plan.total_created == 0


def test_nobody_is_suspended_who_certified_in_time():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 10, 24))
    with time_machine.travel(MORNING - datetime.timedelta(days=1), tick=False):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    daily()
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == "active"
    assert pensioner.next_due == datetime.date(2027, 11, 22)


def test_certifying_queues_certification_complete_with_the_new_due_date(django_capture_on_commit_callbacks):
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 1))
    with (
        time_machine.travel(MORNING.replace(hour=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    row = SmsOutbox.objects.get(pensioner_id_ref=pensioner.pk)
    assert (row.template, row.reason, row.recipient) == (
        "certified",
        f"certified:{pensioner.pk}:2027-11-23",
        pensioner.phone,
    )
    assert "无需其他操作" in row.text and "2027年11月23日" in row.text


def test_two_certifications_on_one_day_send_one_complete_sms(django_capture_on_commit_callbacks):
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 1))
    with (
        time_machine.travel(MORNING.replace(hour=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
        certification_record(pensioner=pensioner, method="silent", recorded_by=None)
    assert SmsOutbox.objects.filter(template__in=["certified", "certified_silent"]).count() == 1


def test_a_certification_that_does_not_move_the_due_date_sends_nothing(django_capture_on_commit_callbacks):
    pensioner = PensionerFactory(next_due=datetime.date(2028, 6, 1))  # already valid beyond a new cycle
    with (
        time_machine.travel(MORNING.replace(hour=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certification_record(pensioner=pensioner, method="onsite", recorded_by=None)
    assert not SmsOutbox.objects.exists()


def test_the_daily_run_sends_certification_complete_when_the_commit_hook_was_lost():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 1))
    with time_machine.travel(MORNING.replace(hour=10), tick=False):
        certification_record(pensioner=pensioner, method="silent", recorded_by=None)  # on_commit never ran
    assert not SmsOutbox.objects.exists()
    with time_machine.travel(MORNING + datetime.timedelta(days=1), tick=False):
        created = reminders_plan().created
    assert created == {"certified_silent": 1}


def test_a_pensioner_without_a_phone_hears_through_relatives_that_certification_is_complete(
    django_capture_on_commit_callbacks,
):
    pensioner = PensionerFactory(phone=None, next_due=datetime.date(2026, 12, 1))
    relative = RelativeLinkFactory(pensioner=pensioner).relative
    with (
        time_machine.travel(MORNING.replace(hour=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certification_record(pensioner=pensioner, method="proxy_face", recorded_by=relative)
    assert list(SmsOutbox.objects.values_list("recipient", flat=True)) == [relative.phone]


def test_certified_while_suspended_says_the_pension_will_be_restored_after_review(
    django_capture_on_commit_callbacks,
):
    pensioner = PensionerFactory(
        next_due=datetime.date(2026, 9, 1), benefit_status="suspended", suspension_reason="overdue"
    )
    with (
        time_machine.travel(MORNING.replace(hour=10), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert SmsOutbox.objects.get(pensioner_id_ref=pensioner.pk, reason__startswith="certified:").template == (
        "certified_suspended"
    )
    assert Pensioner.objects.get(pk=pensioner.pk).benefit_status == "suspended"
