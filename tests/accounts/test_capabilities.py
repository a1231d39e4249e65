"""The one scope rule: each relationship × capability, through ``actor_may``, ``scoped``/``scope_q`` and
``region_scope_q``. The expected table is written out here on purpose: changing who may do what must
change this file too."""

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import Pensioner, Region, RelativeLink
from accounts.roles import Role
from accounts.selectors import (
    CAPABILITIES,
    Capability,
    Relationship,
    actor_may,
    region_scope_q,
    relationships_to,
    scope_q,
    scoped,
)
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

C = Capability
EXPECTED: dict[Relationship, set[Capability]] = {
    Relationship.SELF: {C.READ_STATUS, C.READ_MONEY, C.CERTIFY_BY_FACE, C.ACT_FOR},
    Relationship.RELATIVE: {C.READ_STATUS, C.READ_MONEY, C.CERTIFY_BY_FACE, C.REPORT_DEATH, C.ACT_FOR},
    Relationship.VILLAGE_ASSISTANT: {C.READ_STATUS, C.REPORT_DEATH, C.VILLAGE_REPORT, C.RECORD_VISIT},
    Relationship.GRID_WORKER: {C.READ_STATUS, C.REPORT_DEATH, C.RECORD_VISIT},
    Relationship.STAFF: {C.READ_STATUS, C.READ_MONEY, C.REPORT_DEATH, C.CASEWORK, C.RECORD_VISIT},
}
EXPECTED_BY = {c: {r for r, caps in EXPECTED.items() if c in caps} for c in Capability}
CASES = [(relationship, capability) for relationship in Relationship for capability in Capability]


@pytest.fixture
def world():
    """One pensioner in each of two counties, and one actor standing in each relationship to ``home``."""
    home = PensionerFactory(region=village_in("360102", 1))
    away = PensionerFactory(region=village_in("360121", 1))
    county = RegionFactory(code="360102000000", level=Region.Level.COUNTY)
    return {
        "home": home,
        "away": away,
        Relationship.SELF: pensioner_user(home),
        Relationship.RELATIVE: RelativeLinkFactory(pensioner=home).relative,
        Relationship.VILLAGE_ASSISTANT: VillageAssignmentFactory(village=home.region).user,
        Relationship.GRID_WORKER: VillageAssignmentFactory(
            village=home.region, user=UserFactory(roles=[Role.GRID_WORKER])
        ).user,
        Relationship.STAFF: StaffFactory(region=county, roles=[Role.CASEWORKER]),
    }


def test_the_table_says_what_this_file_expects():
    assert {capability: set(allowed) for capability, allowed in CAPABILITIES.items()} == EXPECTED_BY


@pytest.mark.parametrize(("relationship", "capability"), CASES)
def test_actor_may(world, relationship, capability):
    actor = world[relationship]
    assert relationships_to(actor=actor, pensioner=world["home"]) == {relationship}
    assert actor_may(actor=actor, pensioner=world["home"], capability=capability) == (
        capability in EXPECTED[relationship]
    )
    assert not actor_may(actor=actor, pensioner=world["away"], capability=capability)


@pytest.mark.parametrize(("relationship", "capability"), CASES)
def test_scoped_on_pensioners(world, relationship, capability):
    reached = set(scoped(Pensioner.objects.all(), actor=world[relationship], capability=capability))
    assert reached == ({world["home"]} if capability in EXPECTED[relationship] else set())


@pytest.mark.parametrize(("relationship", "capability"), CASES)
def test_scope_q_through_a_path_to_the_pensioner(world, relationship, capability):
    """``path`` reaches the pensioner from another model (here a relative link)."""
    scope, joins_many = scope_q(actor=world[relationship], capability=capability, path="pensioner")
    rows = RelativeLink.objects.filter(scope)
    if joins_many:
        rows = rows.distinct()
    expected = (
        set(RelativeLink.objects.filter(pensioner=world["home"])) if capability in EXPECTED[relationship] else set()
    )
    assert set(rows) == expected


@pytest.mark.parametrize(("relationship", "capability"), CASES)
def test_region_scope_q_reaches_villages_only_for_assistants_and_staff(world, relationship, capability):
    villages = set(
        Region.objects.filter(
            region_scope_q(actor=world[relationship], capability=capability), level=Region.Level.VILLAGE
        )
    )
    village_level = relationship in (Relationship.VILLAGE_ASSISTANT, Relationship.GRID_WORKER, Relationship.STAFF)
    expected = {world["home"].region} if village_level and capability in EXPECTED[relationship] else set()
    assert villages == expected


def test_a_person_in_two_relationships_is_reached_once(world):
    """A relative who is also the village's assistant: two joins, one row."""
    actor = UserFactory(roles=[Role.RELATIVE, Role.VILLAGE_ASSISTANT])
    RelativeLinkFactory(pensioner=world["home"], relative=actor)
    VillageAssignmentFactory(village=world["home"].region, user=actor)
    assert list(scoped(Pensioner.objects.all(), actor=actor, capability=C.READ_STATUS)) == [world["home"]]


@pytest.mark.parametrize("capability", list(Capability))
def test_a_superuser_reaches_everyone_exactly_for_the_staff_capabilities(world, capability):
    superuser = StaffFactory(region=None, is_superuser=True)
    reached = set(scoped(Pensioner.objects.all(), actor=superuser, capability=capability))
    assert reached == ({world["home"], world["away"]} if Relationship.STAFF in EXPECTED_BY[capability] else set())


@pytest.mark.parametrize("capability", list(Capability))
def test_nobody_outside_reaches_anyone(world, capability):
    for actor in (
        AnonymousUser(),
        UserFactory(),
        UserFactory(roles=[Role.RELATIVE]),
        VillageAssignmentFactory(village=world["away"].region).user,
        VillageAssignmentFactory(village=world["away"].region, user=UserFactory(roles=[Role.GRID_WORKER])).user,
        StaffFactory(region=RegionFactory(code="360121000000", level=Region.Level.COUNTY), roles=[Role.REVIEWER]),
    ):
        assert not scoped(Pensioner.objects.filter(pk=world["home"].pk), actor=actor, capability=capability).exists()
