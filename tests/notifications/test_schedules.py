"""``manage.py setup_schedules`` creates the django-q2 schedules once and can be re-run on every deploy."""

from __future__ import annotations

import datetime
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django_q.models import Schedule

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.django_db


def setup() -> str:
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    return out.getvalue()


def test_the_schedules_are_created_with_the_daily_run_at_the_next_morning():
    with time_machine.travel(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI), tick=False):
        setup()
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert {"selfservice.daily", "notifications.drain", "notifications.sweep"} <= set(schedules)
    daily = schedules["selfservice.daily"]
    assert (daily.func, daily.schedule_type, daily.cron) == (
        "selfservice.tasks.certification_daily",
        Schedule.CRON,
        "30 7 * * *",
    )
    assert daily.next_run == datetime.datetime(2026, 11, 24, 7, 30, tzinfo=SHANGHAI)
    assert schedules["notifications.drain"].minutes == 1


def test_running_it_again_changes_nothing():
    setup()
    before = list(Schedule.objects.order_by("name").values("name", "next_run", "cron", "minutes"))
    output = setup()
    assert list(Schedule.objects.order_by("name").values("name", "next_run", "cron", "minutes")) == before
    assert "selfservice.daily: unchanged" in output


def test_a_changed_setting_updates_the_schedule_in_place(settings):
    setup()
    settings.NOTIFICATIONS_DAILY_CRON = "0 6 * * *"
    with time_machine.travel(datetime.datetime(2026, 11, 23, 12, 0, tzinfo=SHANGHAI), tick=False):
        setup()
    daily = Schedule.objects.get(name="selfservice.daily")
    assert Schedule.objects.filter(name="selfservice.daily").count() == 1
    assert daily.cron == "0 6 * * *"
    assert daily.next_run == datetime.datetime(2026, 11, 24, 6, 0, tzinfo=SHANGHAI)


def test_the_scheduled_functions_exist():
    from django.utils.module_loading import import_string

    setup()
    for schedule in Schedule.objects.all():
        assert callable(import_string(schedule.func))


def test_the_daily_task_runs_through_django_q():
    from django_q.tasks import async_task, fetch

    from tests.factories import PensionerFactory

    late = PensionerFactory(next_due=datetime.date(2026, 10, 1))
    with time_machine.travel(datetime.datetime(2026, 11, 23, 7, 30, tzinfo=SHANGHAI), tick=False):
        task_id = async_task("selfservice.tasks.certification_daily")
    task = fetch(task_id)
    assert task.success, task.result
    assert task.result["suspended"] == 1
    late.refresh_from_db()
    assert late.benefit_status == "suspended"


def test_a_schedule_an_app_no_longer_declares_is_removed():
    Schedule.objects.create(name="notifications.daily", func="notifications.tasks.notifications_daily", repeats=-1)
    output = setup()
    assert not Schedule.objects.filter(name="notifications.daily").exists()
    assert "notifications.daily: removed" in output
    assert Schedule.objects.filter(name="selfservice.daily").exists()
