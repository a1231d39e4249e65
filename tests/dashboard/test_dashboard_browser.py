"""The staff dashboard in a real browser (Playwright + Debian chromium + axe-core, as the mobile
client's tests): a staff member logs in through the admin login, the charts render, the figures on
the page are the selectors' figures, and axe-core finds no serious violation.

Set ``M_SCREENSHOTS=1`` to refresh docs/screens/dashboard.png.
"""

from __future__ import annotations

import os

import pytest
from django.utils import timezone

from casework.rules import month_add
from dashboard import selectors
from dashboard.services import summaries_refresh
from tests.dashboard import data
from tests.selfservice.test_web_client import (  # noqa: F401 - fixtures shared with the mobile client's tests
    SCREENS,
    _audit_trigger_restored,
    _flushable_audit_log,
    axe_serious,
    chromium,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "dashboard-test-password"


@pytest.fixture
def county() -> data.County:
    county = data.build_county()
    county.staff.set_password(PASSWORD)
    county.staff.save()
    period = month_add(county.today, -1)
    data.report(county.villages[data.VILLAGE_A1], period, zero=True)
    data.report(county.villages[data.VILLAGE_B1], period, late=True)
    people = list(county.villages[data.VILLAGE_A1].pensioners.filter(benefit_status="active"))
    data.case(people[0], "suspected_death", age_days=3)
    data.case(people[1], "missing", age_days=50)
    data.attempt(people[0], "accepted")
    data.attempt(people[1], "review", "grey_zone")
    data.attempt(people[1], "refused", "face_blurred")
    data.attempt(people[2], "rejected")
    summaries_refresh()  # the page serves the summary tables' figures
    return county


@pytest.fixture
def page(chromium, live_server, _flushable_audit_log):  # type: ignore[no-untyped-def]  # noqa: F811
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("console", lambda m: "Content Security Policy" in m.text and problems.append(f"CSP: {m.text}"))
    page.base = live_server.url  # type: ignore[attr-defined]
    yield page
    context.close()
    assert problems == []


def log_in(page, county: data.County) -> None:  # type: ignore[no-untyped-def]
    page.goto(page.base + "/staff/dashboard/")
    page.fill("input[name=username]", county.staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.locator("[data-chart=trend]").wait_for()


def figure(page, selector: str) -> str:  # type: ignore[no-untyped-def]
    return page.locator(selector).first.inner_text().strip()


def test_staff_log_in_and_see_charts_whose_figures_are_the_selectors(page, county):
    log_in(page, county)
    assert page.url.endswith("/staff/dashboard/")
    assert page.locator("h1").inner_text() == "资格认证统计看板"
    assert page.locator("svg[data-chart=bar]").count() >= 10
    assert page.locator("svg[data-chart=trend] circle").count() == 12
    # Every bar is drawn: a visible box, not collapsed by the stylesheet.
    box = page.locator("svg[data-chart=bar]").first.bounding_box()
    assert box and box["width"] > 50 and box["height"] > 5

    # The page reads the summary tables; the figures must be those of a direct (live) count.
    assert page.locator("[data-as-of]").get_attribute("data-as-of")
    area = selectors.dashboard_area(actor=county.staff)
    since = selectors.default_since()
    table = selectors.certification_by_region_live(actor=county.staff, area=area, since=since)
    for name in ("population", "certified", "due_soon", "overdue", "suspended"):
        assert figure(page, f".figures [data-figure={name}]") == str(getattr(table.total, name))
    for row in table.rows:
        line = f"[data-table=certification] tr[data-code='{row.code}']"
        assert figure(page, f"{line} [data-figure=population]") == str(row.population)
        assert figure(page, f"{line} [data-figure=rate]") == f"{row.rate}%"

    reports = selectors.report_compliance(actor=county.staff, area=area, period=month_add(timezone.localdate(), -1))
    for row in reports.rows:
        line = f"[data-table=reports] tr[data-code='{row.code}']"
        assert figure(page, f"{line} [data-figure=on_time]") == str(row.on_time)
        assert figure(page, f"{line} [data-figure=zero]") == str(row.zero)
    face = selectors.face_outcomes_live(actor=county.staff, area=area, since=since)
    assert figure(page, "[data-table=face] tr[data-result=accepted] [data-figure=rate]") == f"{face.accept_rate}%"
    for case in selectors.open_cases_live(actor=county.staff, area=area):
        assert figure(page, f"tr[data-category={case.category}] [data-figure=total]") == str(case.total)

    if os.environ.get("M_SCREENSHOTS"):
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENS / "dashboard.png"), full_page=True)


def test_drilling_down_by_clicking_a_region(page, county):
    log_in(page, county)
    page.click(f"[data-table=certification] tr[data-code='{data.TOWNSHIP_A}'] a")
    page.locator(f"[data-table=certification] tr[data-code='{data.VILLAGE_A1}']").wait_for()
    assert page.locator(f"tr[data-code='{data.TOWNSHIP_B}']").count() == 0


def test_no_serious_accessibility_violations(page, county):
    log_in(page, county)
    assert axe_serious(page) == []
