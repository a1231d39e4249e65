"""Retries arriving together (PostgreSQL): the same request id gives the same answer, never a 409."""

import datetime
from zoneinfo import ZoneInfo

import time_machine

from casework.models import MonthlyReport
from tests.casework.factories import request_id
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.conftest import client_for
from tests.factories import VillageAssignmentFactory

pytestmark = POSTGRES_ONLY
SHANGHAI = ZoneInfo("Asia/Shanghai")
RETRIES = 20


def test_twenty_parallel_retries_of_one_monthly_report_all_get_the_same_report():
    assignment = VillageAssignmentFactory()
    rid = request_id()
    body = {
        "village_id": assignment.village.pk,
        "period": "2026-10",
        "is_zero": True,
        "items": [],
        "client_request_id": rid,
    }

    def post():  # type: ignore[no-untyped-def]
        response = client_for(assignment.user).post("/api/v1/monthly-reports", body, format="json")
        return response.status_code, response.json().get("id")

    with time_machine.travel(datetime.datetime(2026, 11, 3, 10, tzinfo=SHANGHAI), tick=False):
        outcomes = run_together(*([post] * RETRIES))
    statuses = sorted(value[0] for _kind, value in outcomes)
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert set(statuses) <= {200, 201} and statuses.count(201) == 1, statuses
    assert len({value[1] for _kind, value in outcomes}) == 1
    assert MonthlyReport.objects.count() == 1


def test_twenty_parallel_retries_of_one_amendment_all_get_the_same_version():
    assignment = VillageAssignmentFactory()
    with time_machine.travel(datetime.datetime(2026, 11, 3, 10, tzinfo=SHANGHAI), tick=False):
        first = client_for(assignment.user).post(
            "/api/v1/monthly-reports",
            {
                "village_id": assignment.village.pk,
                "period": "2026-10",
                "is_zero": True,
                "items": [],
                "client_request_id": request_id(),
            },
            format="json",
        )
        rid = request_id()

        def amend():  # type: ignore[no-untyped-def]
            response = client_for(assignment.user).post(
                f"/api/v1/monthly-reports/{first.json()['id']}/amend",
                {"is_zero": True, "items": [], "note": "more", "client_request_id": rid},
                format="json",
            )
            return response.status_code, response.json().get("id")

        outcomes = run_together(*([amend] * RETRIES))
    assert all(kind == "ok" and value[0] in (200, 201) for kind, value in outcomes), outcomes
    assert len({value[1] for _kind, value in outcomes}) == 1
    assert MonthlyReport.objects.count() == 2


def test_twenty_parallel_death_reports_with_different_request_ids_send_one_acknowledgement():
    from casework import services
    from casework.models import DeathReport
    from notifications.models import SmsOutbox
    from tests.factories import RelativeLinkFactory

    link = RelativeLinkFactory()

    def submit():  # type: ignore[no-untyped-def]
        report, _created = services.death_report_submit(
            reporter=link.relative,
            pensioner_id=link.pensioner.pk,
            date_of_death=link.pensioner.birth_date.replace(year=2026, month=1, day=1),
            place="家中",
            client_request_id=request_id(),
        )
        return report.case_id

    outcomes = run_together(*([submit] * RETRIES))
    assert all(kind == "ok" for kind, _ in outcomes), outcomes
    assert len({case_id for _kind, case_id in outcomes}) == 1
    assert DeathReport.objects.count() == RETRIES
    assert SmsOutbox.objects.filter(reason__startswith="death_report_ack:").count() == 1
