"""Scope matrix: who may read whose certification status. Out of scope is 404, never 403."""

import pytest

from accounts.models import AuditEvent, Region, RelativeLink
from accounts.roles import Role
from tests.conftest import client_for
from tests.factories import (
    PensionerFactory,
    RegionFactory,
    RelativeLinkFactory,
    StaffFactory,
    UserFactory,
    VillageAssignmentFactory,
    pensioner_user,
    village_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """Two counties; one pensioner in each, and one actor of every kind."""
    home = PensionerFactory(region=village_in("360102", 1))
    away = PensionerFactory(region=village_in("360121", 1))
    county = RegionFactory(code="360102000000", level=Region.Level.COUNTY)
    city = RegionFactory(code="360100000000", level=Region.Level.CITY)
    return {
        "home": home,
        "away": away,
        "self": pensioner_user(home),
        "relative": RelativeLinkFactory(pensioner=home).relative,
        "pending_relative": RelativeLinkFactory(pensioner=home, status=RelativeLink.Status.PENDING).relative,
        "revoked_relative": RelativeLinkFactory(pensioner=home, status=RelativeLink.Status.REVOKED).relative,
        "assistant": VillageAssignmentFactory(village=home.region).user,
        "other_assistant": VillageAssignmentFactory(village=away.region).user,
        "county_caseworker": StaffFactory(region=county, roles=[Role.CASEWORKER]),
        "city_reviewer": StaffFactory(region=city, roles=[Role.REVIEWER]),
        "other_county_staff": StaffFactory(
            region=RegionFactory(code="360121000000", level=Region.Level.COUNTY), roles=[Role.CASEWORKER]
        ),
        "stranger": UserFactory(roles=[Role.RELATIVE]),
        "no_roles": UserFactory(),
    }


MATRIX = [
    ("self", True),
    ("relative", True),
    ("pending_relative", False),
    ("revoked_relative", False),
    ("assistant", True),
    ("other_assistant", False),
    ("county_caseworker", True),
    ("city_reviewer", True),
    ("other_county_staff", False),
    ("stranger", False),
    ("no_roles", False),
]


@pytest.mark.parametrize(("actor", "allowed"), MATRIX)
def test_status_of_a_pensioner_by_id(world, actor, allowed):
    response = client_for(world[actor]).get(f"/api/v1/certification/status?pensioner={world['home'].pk}")
    assert response.status_code == (200 if allowed else 404)
    if not allowed:
        assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(("actor", "allowed"), MATRIX)
def test_history_of_a_pensioner_by_id(world, actor, allowed):
    response = client_for(world[actor]).get(f"/api/v1/certification/history?pensioner={world['home'].pk}")
    assert response.status_code == (200 if allowed else 404)


def test_a_nonexistent_pensioner_looks_the_same_as_one_out_of_scope(world):
    client = client_for(world["stranger"])
    missing = client.get("/api/v1/certification/status?pensioner=99999999").json()
    hidden = client.get(f"/api/v1/certification/status?pensioner={world['home'].pk}").json()
    assert missing == hidden


def test_a_malformed_pensioner_id_is_not_found(world):
    response = client_for(world["relative"]).get("/api/v1/certification/status?pensioner=abc")
    assert response.status_code == 404


def test_reading_another_persons_status_is_audited(world):
    client_for(world["relative"]).get(f"/api/v1/certification/status?pensioner={world['home'].pk}")
    event = AuditEvent.objects.get(action="certification.status.read")
    assert event.actor == world["relative"]
    assert event.pensioner_id_ref == world["home"].pk
    assert event.client_ip == "127.0.0.1"


def test_reading_my_own_status_is_not_audited_as_a_read_of_someone_else(world):
    client_for(world["self"]).get("/api/v1/certification/status")
    assert not AuditEvent.objects.filter(action="certification.status.read").exists()


def test_me_lists_the_pensioners_a_relative_may_act_for(world):
    body = client_for(world["relative"]).get("/api/v1/me").json()
    assert [p["id"] for p in body["acts_for"]] == [world["home"].pk]
    assert body["acts_for"][0]["relationship"] == "child"
    assert "*" in body["acts_for"][0]["id_number_masked"]


def test_me_shows_a_pending_relative_nobody_to_act_for(world):
    assert client_for(world["pending_relative"]).get("/api/v1/me").json()["acts_for"] == []


def test_me_shows_an_assistants_villages(world):
    body = client_for(world["assistant"]).get("/api/v1/me").json()
    assert [v["code"] for v in body["villages"]] == [world["home"].region.code]
    assert body["roles"] == ["village_assistant"]
