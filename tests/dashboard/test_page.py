"""``/staff/dashboard/``: the admin's staff login, scoped by region, every asset local."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.roles import Role
from tests.dashboard import data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/staff/dashboard/"


@pytest.fixture
def county() -> data.County:
    return data.build_county()


@pytest.fixture
def staff_browser(county) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(county.staff)
    return client


def test_anonymous_visitors_go_to_the_admin_login():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_a_user_without_a_staff_role_is_not_shown_figures(county):
    client = Client()
    client.force_login(UserFactory(is_staff=True, roles=[Role.PENSIONER]))
    assert client.get(URL).status_code == 404


def test_the_page_shows_the_figures_with_charts(staff_browser):
    response = staff_browser.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-chart="trend"' in html and 'data-chart="bar"' in html
    assert re.search(r'data-figure="certified">4<', html)
    assert "认证" in html  # in Chinese


def test_drill_down_to_a_township(staff_browser):
    html = staff_browser.get(URL, {"region": data.TOWNSHIP_A}).content.decode()
    assert f'data-code="{data.VILLAGE_A1}"' in html
    assert f'data-code="{data.TOWNSHIP_B}"' not in html


def test_a_region_outside_the_area_is_not_found(staff_browser):
    assert staff_browser.get(URL, {"region": data.OTHER_VILLAGE}).status_code == 404


def test_invalid_choices_fall_back_to_the_defaults_and_say_so(staff_browser):
    response = staff_browser.get(URL, {"since": "2999-01-01", "period": "2026-13"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_every_asset_is_local_and_no_script_runs(staff_browser):
    response = staff_browser.get(URL)
    html = response.content.decode()
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html
    assert "script-src 'none'" in response["Content-Security-Policy"]


def test_csv_links_carry_the_area_and_period(staff_browser):
    html = staff_browser.get(URL, {"region": data.TOWNSHIP_A}).content.decode()
    assert f"/api/v1/stats/certification.csv?region={data.TOWNSHIP_A}&amp;since=" in html


def test_before_any_refresh_the_page_says_its_figures_are_live(staff_browser):
    html = staff_browser.get(URL).content.decode()
    assert 'data-as-of=""' in html
    assert "数据为实时统计" in html


def test_after_a_refresh_the_page_says_as_of_when(staff_browser):
    from django.utils import timezone

    from dashboard.services import summaries_refresh

    state = summaries_refresh()
    html = staff_browser.get(URL).content.decode()
    assert f"数据统计截至{timezone.localtime(state.refreshed_at):%H:%M}" in html
