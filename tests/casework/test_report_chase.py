"""Village assistants hear once a month when their village's monthly report is late."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo

import pytest
import time_machine

from casework.reminders import reports_missing_plan
from casework.services import monthly_report_submit
from notifications.models import SmsOutbox
from notifications.texts import sms_segments
from tests.factories import VillageAssignmentFactory, village_in

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_test_settings")]


def assistant_of_a_village():  # type: ignore[no-untyped-def]
    return VillageAssignmentFactory(village=village_in("360102", 7))


def plan_on(day: datetime.date):  # type: ignore[no-untyped-def]
    with time_machine.travel(datetime.datetime.combine(day, datetime.time(7, 30), tzinfo=SHANGHAI), tick=False):
        return reports_missing_plan()


def test_the_day_after_the_due_day_each_assistant_of_a_silent_village_is_told_once():
    assignment = assistant_of_a_village()
    plan_on(datetime.date(2026, 11, 6))  # October's report was due on 5 November
    plan_on(datetime.date(2026, 11, 7))
    row = SmsOutbox.objects.get(template="report_missing")
    assert row.recipient == assignment.user.phone
    assert assignment.village.name in row.text and "2026年10月" in row.text and "2026年11月5日" in row.text
    assert "零报告" in row.text and sms_segments(row.text) <= 2


def test_nobody_is_chased_on_or_before_the_due_day():
    assistant_of_a_village()
    plan_on(datetime.date(2026, 11, 5))
    assert not SmsOutbox.objects.filter(template="report_missing").exists()


def test_a_village_that_filed_is_not_chased():
    assignment = assistant_of_a_village()
    with time_machine.travel(datetime.datetime(2026, 11, 8, 9, 0, tzinfo=SHANGHAI), tick=False):  # late, but filed
        monthly_report_submit(
            actor=assignment.user,
            village_id=assignment.village.pk,
            period=datetime.date(2026, 10, 1),
            is_zero=True,
            items=[],
            client_request_id=uuid.uuid4(),
        )
    plan_on(datetime.date(2026, 11, 9))
    assert not SmsOutbox.objects.filter(template="report_missing").exists()


def test_next_months_silence_is_a_new_message():
    assistant_of_a_village()
    plan_on(datetime.date(2026, 11, 6))
    plan_on(datetime.date(2026, 12, 6))
    assert SmsOutbox.objects.filter(template="report_missing").count() == 2
