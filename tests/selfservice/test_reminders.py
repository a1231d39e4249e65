"""The daily planner: stage windows, local dates, re-runs, recipients and who is left alone."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
import time_machine

from accounts.models import Pensioner, RelativeLink
from notifications.models import SmsOutbox
from selfservice.reminders import reminders_plan
from selfservice.selectors import reminder_stage
from tests.factories import PensionerFactory, RelativeLinkFactory, UserFactory, VillageAssignmentFactory

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("sms_test_settings")]


def at(year: int, month: int, day: int, hour: int = 7, minute: int = 30, tz=SHANGHAI) -> datetime.datetime:  # type: ignore[no-untyped-def]
    return datetime.datetime(year, month, day, hour, minute, tzinfo=tz)


def plan_at(moment: datetime.datetime):  # type: ignore[no-untyped-def]
    with time_machine.travel(moment, tick=False):
        return reminders_plan()


def reminder_reasons(pensioner: Pensioner) -> list[str]:
    return sorted(
        SmsOutbox.objects.filter(pensioner_id_ref=pensioner.pk, reason__startswith="reminder:").values_list(
            "reason", flat=True
        )
    )


@pytest.mark.parametrize(
    ("days_left", "stage"),
    [(31, None), (30, 30), (8, 30), (7, 7), (2, 7), (1, 1), (0, 1), (-1, None)],
)
def test_stage_windows(days_left, stage):
    assert reminder_stage(days_left=days_left, stages=[30, 7, 1]) == stage


def test_the_stage_follows_the_shanghai_date_not_the_utc_date():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 4, 8))
    # 2026-03-31 23:30 in Shanghai (15:30 UTC): 8 days left → stage 30.
    plan_at(at(2026, 3, 31, 23, 30))
    assert reminder_reasons(pensioner) == [f"reminder:{pensioner.pk}:2026-04-08:30"]
    # One hour later it is 1 April in Shanghai (still 31 March in UTC): 7 days left → stage 7.
    plan_at(datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC))
    assert reminder_reasons(pensioner)[-1] == f"reminder:{pensioner.pk}:2026-04-08:7"


def test_month_end_counts_the_real_length_of_february():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 3, 1))
    plan_at(at(2026, 2, 21))  # 8 days left
    plan_at(at(2026, 2, 22))  # 7 days left: February 2026 has 28 days
    assert reminder_reasons(pensioner) == [
        f"reminder:{pensioner.pk}:2026-03-01:30",
        f"reminder:{pensioner.pk}:2026-03-01:7",
    ]


def test_a_leap_day_due_date_gets_its_stages_on_the_right_days():
    pensioner = PensionerFactory(next_due=datetime.date(2028, 2, 29))
    plan_at(at(2028, 1, 29))  # 31 days left: nothing yet
    assert reminder_reasons(pensioner) == []
    plan_at(at(2028, 1, 30))  # 30 days left
    plan_at(at(2028, 2, 22))  # 7 days left
    plan_at(at(2028, 2, 28))  # 1 day left
    assert reminder_reasons(pensioner) == [
        f"reminder:{pensioner.pk}:2028-02-29:1",
        f"reminder:{pensioner.pk}:2028-02-29:30",
        f"reminder:{pensioner.pk}:2028-02-29:7",
    ]


def test_daily_runs_over_a_whole_cycle_send_one_reminder_per_stage():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 31))
    for offset in range(35, -1, -1):
        plan_at(at(2026, 12, 31) - datetime.timedelta(days=offset))
    assert reminder_reasons(pensioner) == [
        f"reminder:{pensioner.pk}:2026-12-31:1",
        f"reminder:{pensioner.pk}:2026-12-31:30",
        f"reminder:{pensioner.pk}:2026-12-31:7",
    ]


def test_a_second_run_creates_nothing():
    for days in (1, 5, 20):
        PensionerFactory(next_due=datetime.date(2026, 11, 23) + datetime.timedelta(days=days))
    first = plan_at(at(2026, 11, 23))
    second = plan_at(at(2026, 11, 23, 15))
    assert first.total_created == 3
    assert second.total_created == 0
    assert SmsOutbox.objects.count() == 3


def test_a_missed_day_is_caught_up_on_the_next_run():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 10))
    plan_at(at(2026, 11, 20))  # 20 days left: stage 30
    # No run on 3 December (7 days left); the next run on the 4th still sends the stage-7 reminder.
    plan_at(at(2026, 12, 4))
    assert reminder_reasons(pensioner)[-1] == f"reminder:{pensioner.pk}:2026-12-10:7"


def test_a_pensioner_without_a_phone_is_reminded_through_approved_relatives():
    pensioner = PensionerFactory(phone=None, next_due=datetime.date(2026, 12, 1))
    approved = RelativeLinkFactory(pensioner=pensioner).relative
    RelativeLinkFactory(pensioner=pensioner, status=RelativeLink.Status.PENDING)
    RelativeLinkFactory(pensioner=pensioner, status=RelativeLink.Status.REVOKED)
    plan_at(at(2026, 11, 23))
    rows = SmsOutbox.objects.filter(pensioner_id_ref=pensioner.pk)
    assert [(row.recipient, row.template) for row in rows] == [(approved.phone, "reminder_relative")]
    assert "您的家人" in rows[0].text


def test_a_pensioner_with_a_phone_is_reminded_directly_not_through_relatives():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 12, 1))
    RelativeLinkFactory(pensioner=pensioner)
    plan_at(at(2026, 11, 23))
    assert list(SmsOutbox.objects.values_list("recipient", flat=True)) == [pensioner.phone]


def test_nobody_ended_suspended_or_on_hold_is_reminded():
    from selfservice.benefits import benefits_hold

    due = datetime.date(2026, 12, 1)
    PensionerFactory(next_due=due, benefit_status="terminated", deceased_on=datetime.date(2026, 10, 1))
    PensionerFactory(next_due=due, benefit_status="terminated")
    PensionerFactory(next_due=due, benefit_status="suspended", suspension_reason="death_report")
    PensionerFactory(next_due=due, benefit_status="suspended", suspension_reason="case")
    reported = PensionerFactory(next_due=due)
    benefits_hold(pensioner=reported, cause="case:1", actor=None)  # what a death report does
    plan_at(at(2026, 11, 23))
    assert not SmsOutbox.objects.filter(reason__startswith="reminder:").exists()


def test_the_day_after_the_due_date_pensioner_relatives_and_village_assistant_are_told():
    pensioner = PensionerFactory(next_due=datetime.date(2026, 11, 22))
    relative = RelativeLinkFactory(pensioner=pensioner).relative
    assistant = VillageAssignmentFactory(village=pensioner.region).user
    VillageAssignmentFactory(village=pensioner.region, user=UserFactory(phone=None, username="no-phone"))
    plan_at(at(2026, 11, 23))
    rows = {row.recipient: row for row in SmsOutbox.objects.filter(reason__startswith="overdue:")}
    assert set(rows) == {pensioner.phone, relative.phone, assistant.phone}
    assert [rows[phone].template for phone in (pensioner.phone, relative.phone, assistant.phone)] == [
        "overdue",
        "overdue_relative",
        "overdue_assistant",
    ]
    assert "2026年11月22日" in rows[pensioner.phone].text
    assert "2026年12月22日前未认证将暂停发放" in rows[pensioner.phone].text
    assert all(row.kind == "notice" for row in rows.values())


def test_overdue_notices_stop_where_suspension_begins():
    inside = PensionerFactory(next_due=datetime.date(2026, 10, 25))  # 29 days overdue
    beyond = PensionerFactory(next_due=datetime.date(2026, 10, 24))  # 30 days: suspension's turn
    plan_at(at(2026, 11, 23))
    assert SmsOutbox.objects.filter(pensioner_id_ref=inside.pk, template="overdue").exists()
    assert not SmsOutbox.objects.filter(pensioner_id_ref=beyond.pk).exists()


def test_nobody_is_told_twice_about_the_same_overdue_cycle():
    PensionerFactory(next_due=datetime.date(2026, 11, 20))
    plan_at(at(2026, 11, 21))
    assert plan_at(at(2026, 11, 22)).total_created == 0
