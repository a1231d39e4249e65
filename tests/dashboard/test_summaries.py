"""The summary tables: figures served from them equal a direct computation on the live tables
(``*_live``) on the same data, for every scope level and the periods the dashboard offers; they lag
until the next refresh, and say when they were counted."""

from __future__ import annotations

import datetime
from dataclasses import asdict

import pytest
from django.utils import timezone

from accounts.roles import Role
from casework.rules import month_add
from dashboard import selectors
from dashboard.models import LatestCertificationSummary, SummaryRefresh
from dashboard.services import summaries_refresh
from tests.dashboard import data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> data.County:
    """The hand-built county, with cases of every age and face attempts over two years."""
    county = data.build_county()
    a1 = list(county.villages[data.VILLAGE_A1].pensioners.filter(benefit_status="active").order_by("pk"))
    b1 = list(county.villages[data.VILLAGE_B1].pensioners.filter(benefit_status="active").order_by("pk"))
    other = county.villages[data.OTHER_VILLAGE].pensioners.order_by("pk")[0]
    for person, category, age in ((a1[0], "suspected_death", 0), (a1[1], "missing", 7), (b1[0], "missing", 8)):
        data.case(person, category, age_days=age, deadline=county.today)
    data.case(a1[2], "imprisoned", age_days=31, deadline=county.today - datetime.timedelta(days=1))
    data.case(a1[3], "face_review", age_days=200)
    data.case(other, "missing", age_days=3)
    for person, result, reason, days in (
        (a1[0], "accepted", "", 1),
        (a1[1], "review", "grey_zone", 20),
        (a1[1], "rejected", "", 45),
        (a1[2], "refused", "face_blurred", 70),
        (a1[2], "refused", "face_blurred", 300),
        (b1[0], "replay", "same_bytes", 2),
        (b1[1], "limited", "daily_limit", 500),
        (other, "rejected", "", 1),
    ):
        data.attempt(person, result, reason, days_ago=days)
    return county


def superuser():  # type: ignore[no-untyped-def]
    return UserFactory(is_superuser=True, is_staff=True, roles=[Role.ADMIN])


AREAS = [None, data.TOWNSHIP_A, data.VILLAGE_A1]  # the staff's county, a township, a village


def plain(found):  # type: ignore[no-untyped-def]
    return asdict(found) if not isinstance(found, list) else [asdict(row) for row in found]


def test_summary_figures_equal_the_live_figures_at_every_level_and_period(county):
    summaries_refresh()
    today = county.today
    actors = [(county.staff, code) for code in AREAS] + [(superuser(), None)]
    for actor, code in actors:
        area = selectors.dashboard_area(actor=actor, region_code=code)
        for since in (selectors.default_since(today), month_add(today, 0), month_add(today, -1), month_add(today, -24)):
            assert plain(selectors.certification_by_region(actor=actor, area=area, since=since)) == plain(
                selectors.certification_by_region_live(actor=actor, area=area, since=since, today=today)
            ), (code, since)
            assert plain(selectors.face_outcomes(actor=actor, area=area, since=since)) == plain(
                selectors.face_outcomes_live(actor=actor, area=area, since=since)
            ), (code, since)
        for months in (1, 12, 36):
            assert plain(selectors.certifications_by_month(actor=actor, area=area, months=months)) == plain(
                selectors.certifications_by_month_live(actor=actor, area=area, months=months)
            ), (code, months)
        for later in (0, 1, 25, 100):  # ages move on with the day, without a refresh
            day = today + datetime.timedelta(days=later)
            assert plain(selectors.open_cases(actor=actor, area=area, today=day)) == plain(
                selectors.open_cases_live(actor=actor, area=area, today=day)
            ), (code, later)


def test_the_figures_the_tests_compare_are_not_all_zero(county):
    summaries_refresh()
    area = selectors.dashboard_area(actor=county.staff)
    table = selectors.certification_by_region(actor=county.staff, area=area, since=selectors.default_since())
    face = selectors.face_outcomes(actor=county.staff, area=area, since=month_add(county.today, -24))
    cases = selectors.open_cases(actor=county.staff, area=area)
    assert (table.total.population, table.total.certified, table.total.overdue) == (8, 4, 1)
    assert (face.submitted, face.compared, len(face.reasons)) == (7, 4, 4)
    assert sum(row.total for row in cases) == 5


def test_a_period_starts_on_the_first_of_its_month(county):
    area = selectors.dashboard_area(actor=county.staff)
    since = county.today - datetime.timedelta(days=20)
    table = selectors.certification_by_region(actor=county.staff, area=area, since=since)
    assert table.since == since.replace(day=1)


def test_before_the_first_refresh_the_figures_are_live(county):
    area = selectors.dashboard_area(actor=county.staff)
    assert selectors.figures_as_of() is None
    assert selectors.certification_by_region(actor=county.staff, area=area, since=county.today).total.population == 8


def test_figures_lag_until_the_next_refresh_and_say_when_they_were_counted(county):
    counted = timezone.now() - datetime.timedelta(minutes=5)
    summaries_refresh(now=counted)
    data.person(county.villages[data.VILLAGE_A1])
    area = selectors.dashboard_area(actor=county.staff)
    since = selectors.default_since()
    assert selectors.figures_as_of() == counted
    assert selectors.certification_by_region(actor=county.staff, area=area, since=since).total.population == 8
    summaries_refresh()
    assert selectors.certification_by_region(actor=county.staff, area=area, since=since).total.population == 9


def test_due_soon_and_overdue_are_those_of_the_refresh_day(county):
    summaries_refresh(now=timezone.now() + datetime.timedelta(days=7))  # a week on: one more is overdue
    area = selectors.dashboard_area(actor=county.staff)
    table = selectors.certification_by_region(actor=county.staff, area=area, since=selectors.default_since())
    expected = selectors.certification_by_region_live(
        actor=county.staff, area=area, since=table.since, today=county.today + datetime.timedelta(days=7)
    )
    assert table.today == county.today + datetime.timedelta(days=7)
    assert (table.total.due_soon, table.total.overdue) == (expected.total.due_soon, expected.total.overdue)


def test_refreshing_again_replaces_the_rows(county):
    summaries_refresh()
    rows = LatestCertificationSummary.objects.count()
    summaries_refresh()
    assert LatestCertificationSummary.objects.count() == rows > 0
    assert SummaryRefresh.objects.count() == 1


def test_the_refresh_is_scheduled():
    from django.utils.module_loading import import_string

    from dashboard.schedules import schedules

    (spec,) = schedules()
    assert spec["name"] == "dashboard.summaries_refresh" and spec["minutes"] == 15
    assert callable(import_string(spec["func"]))


def test_the_command_refreshes_now(county):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("dashboard_refresh", stdout=out)
    assert "dashboard summaries as of" in out.getvalue()
    assert LatestCertificationSummary.objects.exists()
