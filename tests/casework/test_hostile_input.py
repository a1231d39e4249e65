"""Ids beyond the database integer range and absurd dates are invalid input (400/404), never a 500."""

import pytest

from tests.casework.factories import caseworker, request_id
from tests.conftest import client_for
from tests.factories import VillageAssignmentFactory

pytestmark = pytest.mark.django_db
HUGE = 2**70


@pytest.fixture
def assignment():
    return VillageAssignmentFactory()


@pytest.mark.parametrize(
    "path", ["cases/{n}", "evidence/{n}", "death-reports/{n}", "monthly-reports/{n}", "pensioners/{n}/payments"]
)
def test_huge_ids_in_the_path_are_not_found(path):
    response = client_for(caseworker()).get("/api/v1/" + path.format(n=HUGE))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_huge_ids_in_filters_and_bodies_are_invalid(assignment):
    staff, assistant = client_for(caseworker()), client_for(assignment.user)
    responses = [
        staff.get("/api/v1/cases", {"pensioner_id": HUGE}),
        assistant.get("/api/v1/assistant/pensioners", {"village_id": HUGE}),
        assistant.post(
            "/api/v1/monthly-reports",
            {
                "village_id": assignment.village.pk,
                "period": "2026-10",
                "is_zero": False,
                "items": [{"pensioner_id": HUGE, "event": "death", "event_date": "2026-10-01"}],
                "client_request_id": request_id(),
            },
            format="json",
        ),
        assistant.post(
            "/api/v1/death-reports",
            {
                "pensioner_id": 1,
                "date_of_death": "2026-10-01",
                "place": "x",
                "client_request_id": request_id(),
                "evidence_ids": [HUGE],
            },
            format="json",
        ),
    ]
    assert [r.status_code for r in responses] == [400, 400, 400, 400]
    assert all(r.json()["code"] == "invalid" for r in responses)


@pytest.mark.parametrize("period", ["0001-01", "2026-00", "26-10", "", "2026-10-01"])
def test_impossible_months_are_invalid(assignment, period):
    response = client_for(assignment.user).post(
        "/api/v1/monthly-reports",
        {"village_id": assignment.village.pk, "period": period, "is_zero": True, "client_request_id": request_id()},
        format="json",
    )
    assert response.status_code == 400
    assert "period" in response.json()["fields"]
