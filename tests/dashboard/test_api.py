"""``/api/v1/stats/…``: staff only, scoped, the selectors' figures, as JSON and as CSV."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.utils import timezone

from accounts.roles import Role
from backend.dates import add_months
from dashboard import selectors
from dashboard.services import summaries_refresh
from tests.conftest import client_for
from tests.dashboard import data
from tests.factories import PensionerFactory, pensioner_user

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "certification",
    "certification/monthly",
    "reports",
    "cases",
    "facecheck",
    "facecheck/reasons",
]


@pytest.fixture
def county() -> data.County:
    return data.build_county()


@pytest.fixture
def staff_client(county):  # type: ignore[no-untyped-def]
    return client_for(county.staff)


def read_csv(response) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_certification_answers_the_selectors_figures(county, staff_client):
    response = staff_client.get("/api/v1/stats/certification")
    assert response.status_code == 200
    body = response.json()
    expected = selectors.certification_by_region(
        actor=county.staff, area=selectors.dashboard_area(actor=county.staff), since=add_months(county.today, -12)
    )
    assert body["region"]["code"] == data.COUNTY
    assert body["total"]["certified"] == expected.total.certified == 4
    assert body["total"]["rate"] == 50.0
    assert [row["code"] for row in body["rows"]] == [data.TOWNSHIP_A, data.TOWNSHIP_B]


def test_certification_since_narrows_the_period(county, staff_client):
    since = timezone.localdate() - timezone.timedelta(days=20)
    body = staff_client.get("/api/v1/stats/certification", {"since": since.isoformat()}).json()
    start = since.replace(day=1)  # a period starts on the first of its month
    assert body["since"] == start.isoformat()
    days_ago = (10, 40, 400, 100, 5)  # the county's certifications (tests/dashboard/data.py)
    assert body["total"]["certified"] == sum(1 for d in days_ago if county.today - timezone.timedelta(days=d) >= start)


@pytest.mark.parametrize("endpoint", ["certification", "certification/monthly", "cases", "facecheck"])
def test_figures_say_when_they_were_counted(county, staff_client, endpoint):
    assert staff_client.get(f"/api/v1/stats/{endpoint}").json()["as_of"] is None  # live before any refresh
    state = summaries_refresh()
    body = staff_client.get(f"/api/v1/stats/{endpoint}").json()
    assert datetime.datetime.fromisoformat(body["as_of"]) == state.refreshed_at


def test_report_compliance_is_always_live(county, staff_client):
    summaries_refresh()
    assert staff_client.get("/api/v1/stats/reports").json()["as_of"] is None


def test_after_a_refresh_the_api_answers_the_summarys_figures(county, staff_client):
    summaries_refresh()
    data.person(county.villages[data.VILLAGE_A1])  # after the refresh: not yet counted
    assert staff_client.get("/api/v1/stats/certification").json()["total"]["population"] == 8


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_answers_csv_by_query_parameter(staff_client, endpoint):
    response = staff_client.get(f"/api/v1/stats/{endpoint}", {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    read_csv(response)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_endpoint_answers_csv_on_its_csv_route(staff_client, endpoint):
    response = staff_client.get(f"/api/v1/stats/{endpoint}.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_certification_csv_has_one_line_per_child_region(staff_client):
    rows = read_csv(staff_client.get("/api/v1/stats/certification.csv"))
    assert [(r["code"], r["population"], r["certified"]) for r in rows] == [
        (data.TOWNSHIP_A, "6", "3"),
        (data.TOWNSHIP_B, "2", "1"),
    ]


def test_cases_csv_has_its_header_even_when_empty(staff_client):
    text = staff_client.get("/api/v1/stats/cases.csv").content.decode("utf-8").removeprefix("\ufeff")
    assert text.splitlines()[0] == "category,label,total,age_0_7,age_8_30,age_31_90,age_over_90,past_deadline"


def test_drill_down_by_region_code(staff_client):
    body = staff_client.get("/api/v1/stats/certification", {"region": data.TOWNSHIP_A}).json()
    assert [row["code"] for row in body["rows"]] == [data.VILLAGE_A1, data.VILLAGE_A2]


def test_a_region_outside_the_staff_members_area_is_not_found(staff_client):
    response = staff_client.get("/api/v1/stats/certification", {"region": data.OTHER_VILLAGE})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_a_pensioner_gets_no_figures(county, endpoint):
    person = PensionerFactory(region=county.villages[data.VILLAGE_A1])
    response = client_for(pensioner_user(person)).get(f"/api/v1/stats/{endpoint}")
    assert response.status_code == 404


def test_anonymous_callers_must_log_in(api_client):
    assert api_client.get("/api/v1/stats/certification").status_code == 401


def test_bad_parameters_answer_the_error_shape(staff_client):
    response = staff_client.get("/api/v1/stats/reports", {"period": "2026-13", "region": "12"})
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"period", "region"}


@pytest.mark.parametrize("url", ["/api/v1/stats/reports.csv", "/api/v1/stats/reports?format=csv"])
def test_errors_on_csv_routes_answer_the_json_error_shape(staff_client, url):
    response = staff_client.get(url, {"period": "2026-13"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "invalid"
    assert "period" in response.json()["fields"]


def test_a_period_starting_in_the_future_is_refused(staff_client):
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    response = staff_client.get("/api/v1/stats/facecheck", {"since": tomorrow})
    assert response.status_code == 400


def test_facecheck_reports_rates_and_reasons(county, staff_client):
    person = county.villages[data.VILLAGE_A1].pensioners.filter(benefit_status="active").first()
    data.attempt(person, "accepted")
    data.attempt(person, "refused", "face_blurred")
    body = staff_client.get("/api/v1/stats/facecheck").json()
    assert {row["result"]: row["rate"] for row in body["rows"]}["accepted"] == 100.0
    assert body["reasons"] == [{"result": "refused", "reason": "face_blurred", "label": "模糊", "count": 1}]


def test_staff_of_another_county_see_their_own_county_only(county):
    from tests.casework.factories import staff

    other = client_for(staff(Role.CASEWORKER, region_code="360121000000"))
    body = other.get("/api/v1/stats/certification").json()
    assert body["total"]["population"] == 2
