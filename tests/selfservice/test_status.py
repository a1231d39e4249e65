import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Pensioner
from selfservice.models import Certification
from selfservice.selectors import certification_status
from selfservice.services import certification_record
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, pensioner_user

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("days_to_due", "state"),
    [(31, "certified"), (30, "due_soon"), (0, "due_soon"), (-1, "overdue")],
)
def test_state_follows_the_due_date_at_the_boundaries(days_to_due, state):
    pensioner = PensionerFactory.build(next_due=TODAY + datetime.timedelta(days=days_to_due))
    assert certification_status(pensioner=pensioner, today=TODAY).state == state


def test_the_due_soon_window_is_configurable(settings):
    settings.CERTIFICATION_DUE_SOON_DAYS = 7
    pensioner = PensionerFactory.build(next_due=TODAY + datetime.timedelta(days=8))
    assert certification_status(pensioner=pensioner, today=TODAY).state == "certified"


def test_a_suspended_benefit_wins_over_the_due_date():
    pensioner = PensionerFactory.build(next_due=TODAY + datetime.timedelta(days=100), benefit_status="suspended")
    assert certification_status(pensioner=pensioner, today=TODAY).state == "suspended"


def test_a_deceased_pensioner_has_a_state_of_their_own_and_no_due_date():
    pensioner = PensionerFactory.build(benefit_status="terminated", deceased_on=TODAY)
    status = certification_status(pensioner=pensioner, today=TODAY)
    assert (status.state, status.next_due, status.days_left) == ("deceased", None, None)
    assert status.display.action == "call_hotline"


def test_a_certification_rolls_the_due_date_forward_by_the_validity():
    pensioner = PensionerFactory(next_due=TODAY)
    certified_at = timezone.make_aware(datetime.datetime(2026, 11, 20, 10, 0))
    certification_record(pensioner=pensioner, method="face", recorded_by=None, certified_at=certified_at)
    pensioner.refresh_from_db()
    assert pensioner.next_due == datetime.date(2027, 11, 20)


def test_an_older_certification_never_rolls_the_due_date_back():
    pensioner = PensionerFactory(next_due=datetime.date(2027, 11, 20))
    old = timezone.make_aware(datetime.datetime(2026, 1, 5, 10, 0))
    certification_record(pensioner=pensioner, method="onsite", recorded_by=None, certified_at=old)
    pensioner.refresh_from_db()
    assert pensioner.next_due == datetime.date(2027, 11, 20)


def test_a_leap_day_certification_is_valid_until_the_28th_of_february():
    pensioner = PensionerFactory(next_due=datetime.date(2024, 3, 1))
    leap = timezone.make_aware(datetime.datetime(2024, 2, 29, 9, 0))
    certification = certification_record(pensioner=pensioner, method="face", recorded_by=None, certified_at=leap)
    assert certification.valid_until == datetime.date(2025, 2, 28)


def test_the_validity_is_configurable(settings):
    settings.CERTIFICATION_VALIDITY_MONTHS = 6
    pensioner = PensionerFactory(next_due=TODAY)
    at = timezone.make_aware(datetime.datetime(2026, 11, 20, 10, 0))
    assert certification_record(pensioner=pensioner, method="face", recorded_by=None, certified_at=at).valid_until == (
        datetime.date(2027, 5, 20)
    )


def test_no_certification_is_recorded_for_a_deceased_pensioner():
    from backend.api.errors import ApplicationError

    pensioner = PensionerFactory(benefit_status="terminated", deceased_on=TODAY)
    with pytest.raises(ApplicationError) as excinfo:
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert excinfo.value.code == "benefit_ended"
    assert not Certification.objects.exists()


def test_the_status_api_gives_state_due_date_and_an_elder_mode_block():
    pensioner = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=10))
    certification_record(
        pensioner=pensioner,
        method="silent",
        recorded_by=None,
        certified_at=timezone.now() - datetime.timedelta(days=400),
    )
    body = client_for(pensioner_user(pensioner)).get("/api/v1/certification/status").json()
    assert body["state"] == "due_soon"
    assert body["days_left"] == 10
    assert body["last_method_label"] == "静默认证（数据比对）"
    assert body["display"]["action"] == "start_face_certification"
    assert "10天" in body["display"]["sentence"]
    assert body["display"]["title"] == "快到认证时间了"


def test_a_user_without_a_pensioner_row_is_told_to_choose_whom_to_act_for():
    relative = RelativeLinkFactory().relative
    response = client_for(relative).get("/api/v1/certification/status")
    assert response.status_code == 404
    assert response.json()["code"] == "no_pensioner"


def test_history_is_paginated_newest_first():
    pensioner = PensionerFactory()
    for day in range(1, 26):
        at = timezone.make_aware(datetime.datetime(2020, 1, day, 9, 0))
        certification_record(pensioner=pensioner, method="silent", recorded_by=None, certified_at=at)
    body = client_for(pensioner_user(pensioner)).get("/api/v1/certification/history?page_size=10").json()
    assert body["count"] == 25
    assert len(body["results"]) == 10
    assert body["results"][0]["certified_at"].startswith("2020-01-25")


def _queries_for_status(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_status_endpoint_uses_a_constant_number_of_queries():
    """However much history a pensioner has, a status read costs the same queries (no N+1)."""
    light = PensionerFactory()
    heavy = PensionerFactory()
    for day in range(1, 21):
        at = timezone.make_aware(datetime.datetime(2021, 3, day, 9, 0))
        certification_record(pensioner=heavy, method="silent", recorded_by=None, certified_at=at)
    light_client, heavy_client = client_for(pensioner_user(light)), client_for(pensioner_user(heavy))
    _queries_for_status(light_client, "/api/v1/certification/status")  # warm the token refresh
    _queries_for_status(heavy_client, "/api/v1/certification/status")
    light_count = _queries_for_status(light_client, "/api/v1/certification/status")
    heavy_count = _queries_for_status(heavy_client, "/api/v1/certification/status")
    assert light_count == heavy_count
    assert heavy_count <= 5


def test_reading_for_a_relative_costs_the_same_queries_with_one_chained_audit_insert():
    """The audit insert is chained: a read of the previous event's hash (and a lock on PostgreSQL)."""
    pensioner = PensionerFactory()
    client = client_for(RelativeLinkFactory(pensioner=pensioner).relative)
    url = f"/api/v1/certification/status?pensioner={pensioner.pk}"
    _queries_for_status(client, url)
    # The audit insert reads the chain's tail first; on PostgreSQL it also takes the chain's lock.
    assert _queries_for_status(client, url) <= (7 if connection.vendor == "postgresql" else 6)


def test_benefit_status_is_reported():
    pensioner = PensionerFactory(benefit_status=Pensioner.BenefitStatus.SUSPENDED, suspension_reason="overdue")
    body = client_for(pensioner_user(pensioner)).get("/api/v1/certification/status").json()
    assert (body["state"], body["benefit_status"]) == ("suspended", "suspended")
    assert body["display"]["action"] == "start_face_certification"


def test_the_status_endpoint_costs_one_query_more_than_the_trivial_endpoint():
    """The pensioner row comes with the token (accounts.auth); status adds one read: the benefits."""
    client = client_for(pensioner_user(PensionerFactory()))
    _queries_for_status(client, "/api/v1/ping")
    assert (
        _queries_for_status(client, "/api/v1/certification/status") == _queries_for_status(client, "/api/v1/ping") + 1
    )


@pytest.mark.parametrize("certified", [True, False])
def test_the_status_response_has_exactly_the_documented_shape(certified):
    from selfservice.apis import CertificationStatusApi

    pensioner = PensionerFactory()
    if certified:
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    body = client_for(pensioner_user(pensioner)).get("/api/v1/certification/status").json()
    pensioner.refresh_from_db()
    status = certification_status(pensioner=Pensioner.objects.select_related("last_certification").get(pk=pensioner.pk))
    documented = CertificationStatusApi.OutputSerializer(
        {
            "pensioner_id": pensioner.pk,
            "name": pensioner.name,
            **status.__dict__,
            "display": status.display.__dict__,
            "benefits": [line.__dict__ for line in status.benefits],
        }
    ).data
    assert body == documented
