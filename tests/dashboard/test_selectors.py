"""The dashboard's figures, each checked against a county built by hand (tests/dashboard/data.py)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.roles import Role
from backend.api.errors import NotFoundError
from backend.dates import add_months
from casework.rules import month_add
from dashboard import selectors
from tests.casework.factories import staff
from tests.dashboard import data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> data.County:
    return data.build_county()


def area(county: data.County, code: str | None = None) -> selectors.Area:
    return selectors.dashboard_area(actor=county.staff, region_code=code)


def table(county: data.County, code: str | None = None, months: int = 12) -> selectors.CertificationTable:
    """The definitions, counted live to the day (the served figures equal them: test_summaries)."""
    since = add_months(county.today, -months)
    return selectors.certification_by_region_live(actor=county.staff, area=area(county, code), since=since)


# -- area ------------------------------------------------------------------------------------------


def test_area_defaults_to_the_staff_members_region_and_lists_its_children(county):
    found = area(county)
    assert found.code == data.COUNTY
    assert list(found.children) == ["360102001", "360102002"]


def test_area_refuses_a_region_outside_the_staff_members_scope(county):
    with pytest.raises(NotFoundError):
        area(county, data.OTHER_VILLAGE)


def test_area_refuses_someone_who_is_not_staff(county):
    with pytest.raises(NotFoundError):
        selectors.dashboard_area(actor=UserFactory(roles=[Role.PENSIONER]))


def test_area_trail_runs_from_the_staff_region_to_the_one_looked_at(county):
    assert [r.code for r in area(county, data.VILLAGE_A1).trail] == [data.COUNTY, data.TOWNSHIP_A, data.VILLAGE_A1]


def test_superuser_without_region_sees_the_whole_country_by_province(county):
    admin = UserFactory(is_superuser=True, is_staff=True, roles=[Role.ADMIN])
    found = selectors.dashboard_area(actor=admin)
    assert found.region is None and list(found.children) == ["36"]


# -- certification by region and method ------------------------------------------------------------


def test_certification_counts_people_who_have_to_certify_and_those_certified_in_the_period(county):
    total = table(county).total
    assert (total.population, total.certified) == (8, 4)  # the terminated one and the other county are out
    assert total.rate == 50.0


def test_certification_by_method_uses_each_persons_latest_certification_in_the_period(county):
    total = table(county).total
    assert (total.silent, total.face, total.proxy_face, total.onsite, total.counter) == (1, 1, 0, 1, 1)


def test_a_shorter_period_counts_only_recent_certifications(county):
    total = table(county, months=1).total
    assert total.certified == 2  # silent 10 days ago and onsite 5 days ago


def test_due_soon_overdue_and_suspended_are_todays_states(county):
    total = table(county).total
    assert (total.due_soon, total.overdue, total.suspended) == (1, 1, 1)


def test_rows_are_the_child_regions(county):
    rows = {row.code: row for row in table(county).rows}
    assert set(rows) == {data.TOWNSHIP_A, data.TOWNSHIP_B}
    assert (rows[data.TOWNSHIP_A].population, rows[data.TOWNSHIP_A].certified) == (6, 3)
    assert (rows[data.TOWNSHIP_B].population, rows[data.TOWNSHIP_B].certified) == (2, 1)


def test_drilling_down_to_a_township_gives_its_villages(county):
    rows = {row.code: row for row in table(county, data.TOWNSHIP_A).rows}
    assert set(rows) == {data.VILLAGE_A1, data.VILLAGE_A2}
    assert (rows[data.VILLAGE_A2].counter, rows[data.VILLAGE_A2].suspended) == (1, 1)


def test_a_child_region_with_nobody_shows_with_zeros(county):
    data.region("360102003000")
    row = next(r for r in table(county).rows if r.code == "360102003000")
    assert (row.population, row.rate) == (0, None)


def test_staff_of_a_township_see_only_that_township(county):
    township_staff = staff(Role.REVIEWER, region_code=data.TOWNSHIP_B)
    found = selectors.dashboard_area(actor=township_staff)
    total = selectors.certification_by_region_live(
        actor=township_staff, area=found, since=add_months(county.today, -12)
    ).total
    assert total.population == 2


# -- trend -----------------------------------------------------------------------------------------


def test_trend_counts_certifications_per_month_by_method(county):
    months = selectors.certifications_by_month(actor=county.staff, area=area(county), months=3)
    assert [m.month for m in months] == [month_add(county.today, n) for n in (-2, -1, 0)]
    by_month = {m.month: m for m in months}
    ten_days_ago = (county.today - datetime.timedelta(days=10)).replace(day=1)
    assert by_month[ten_days_ago].silent == 1
    assert sum(m.total for m in months) == sum(
        1 for days in (10, 40, 5) if county.today - datetime.timedelta(days=days) >= month_add(county.today, -2)
    )


# -- monthly reports -------------------------------------------------------------------------------


def test_report_compliance_counts_villages_on_time_late_missing_and_zero(county):
    period = month_add(county.today, -2)  # long past its due date
    data.report(county.villages[data.VILLAGE_A1], period, zero=True)
    data.report(county.villages[data.VILLAGE_B1], period, late=True)
    data.report(county.villages[data.OTHER_VILLAGE], period)
    found = selectors.report_compliance(actor=county.staff, area=area(county), period=period)
    total = found.total
    assert (total.villages, total.on_time, total.late, total.missing, total.zero) == (3, 1, 1, 1, 1)
    assert {row.code: row.missing for row in found.rows} == {data.TOWNSHIP_A: 1, data.TOWNSHIP_B: 0}


def test_report_compliance_by_village_names_each_villages_state(county):
    period = month_add(county.today, -2)
    data.report(county.villages[data.VILLAGE_A1], period)
    found = selectors.report_compliance(actor=county.staff, area=area(county, data.TOWNSHIP_A), period=period)
    assert {row.code: row.state for row in found.rows} == {data.VILLAGE_A1: "on_time", data.VILLAGE_A2: "missing"}


# -- cases -----------------------------------------------------------------------------------------


def test_open_cases_by_category_and_age(county):
    people = list(county.villages[data.VILLAGE_A1].pensioners.all())
    data.case(people[0], "suspected_death", age_days=2)
    data.case(people[1], "suspected_death", age_days=45)
    data.case(people[2], "missing", age_days=120, deadline=county.today - datetime.timedelta(days=1))
    data.case(people[3], "missing", age_days=3, status="closed", accepted_by=county.staff, decided_by=UserFactory())
    data.case(county.villages[data.OTHER_VILLAGE].pensioners.first(), "missing", age_days=1)
    rows = {row.category: row for row in selectors.open_cases(actor=county.staff, area=area(county))}
    death, missing = rows["suspected_death"], rows["missing"]
    assert (death.total, death.age_0_7, death.age_31_90) == (2, 1, 1)
    assert (missing.total, missing.age_over_90, missing.past_deadline) == (1, 1, 1)
    assert rows["imprisoned"].total == 0


def test_case_age_buckets_meet_at_day_boundaries(county):
    people = list(county.villages[data.VILLAGE_A1].pensioners.all())
    data.case(people[0], "suspected_death", age_days=7)
    data.case(people[1], "imprisoned", age_days=8)
    rows = {row.category: row for row in selectors.open_cases(actor=county.staff, area=area(county))}
    assert rows["suspected_death"].age_0_7 == 1
    assert rows["imprisoned"].age_8_30 == 1


# -- face certification ----------------------------------------------------------------------------


def test_face_outcomes_rates_over_compared_photos_and_top_refusal_reasons(county):
    people = list(county.villages[data.VILLAGE_A1].pensioners.filter(benefit_status="active"))
    data.attempt(people[0], "accepted")
    data.attempt(people[1], "review", "grey_zone")
    data.attempt(people[1], "rejected")
    data.attempt(people[2], "replay", "same_bytes")
    data.attempt(people[2], "refused", "face_blurred")
    data.attempt(people[2], "refused", "face_blurred")
    data.attempt(people[2], "refused", "face_not_found", days_ago=400)  # outside the period
    data.attempt(county.villages[data.OTHER_VILLAGE].pensioners.first(), "rejected")
    found = selectors.face_outcomes(actor=county.staff, area=area(county), since=add_months(county.today, -12))
    assert (found.compared, found.accepted, found.review, found.rejected, found.refused) == (4, 1, 1, 2, 2)
    assert (found.accept_rate, found.review_rate, found.reject_rate) == (25.0, 25.0, 50.0)
    assert (found.reasons[0].reason, found.reasons[0].count) == ("face_blurred", 2)
    assert {r.reason for r in found.reasons} == {"face_blurred", "", "same_bytes"}


def test_face_outcomes_with_no_attempts_have_no_rates(county):
    found = selectors.face_outcomes(actor=county.staff, area=area(county), since=timezone.localdate())
    assert (found.compared, found.accept_rate, found.reasons) == (0, None, [])


def test_report_states_are_casework_monthly_report_status(county):
    from casework.selectors import monthly_report_status

    period = month_add(county.today, -1)
    data.report(county.villages[data.VILLAGE_A1], period, late=True)
    data.report(county.villages[data.VILLAGE_B1], period, zero=True)
    for today in (county.today, period, month_add(period, 2)):  # before, maybe at, and after the due date
        found = selectors.report_compliance(
            actor=county.staff, area=area(county, data.TOWNSHIP_A), period=period, today=today
        )
        expected = monthly_report_status(
            villages=county.villages[data.VILLAGE_A1].parent.children.all(), period=period, today=today
        )
        assert {row.code: row.state for row in found.rows} == {s.village.code: s.state.value for s in expected}
