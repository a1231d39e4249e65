import pytest
from django.contrib.auth.models import Group

from accounts.roles import ROLE_PERMISSIONS, Role
from accounts.roles_sync import sync_role_groups

pytestmark = pytest.mark.django_db


def _granted(role: Role) -> set[str]:
    group = Group.objects.get(name=role.value)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.parametrize("role", list(Role))
def test_every_declared_permission_exists_and_is_granted_after_migrate(role):
    assert _granted(role) == set(ROLE_PERMISSIONS[role])


def test_a_caseworker_may_enroll_faces_but_a_reviewer_may_not():
    assert "facecheck.add_facetemplate" in _granted(Role.CASEWORKER)
    assert "facecheck.add_facetemplate" not in _granted(Role.REVIEWER)


def test_only_admins_may_set_benefit_amounts():
    holders = [role for role in Role if "accounts.set_benefit_amount" in _granted(role)]
    assert holders == [Role.ADMIN]


def test_a_permission_added_by_hand_is_removed_by_the_next_sync():
    from django.contrib.auth.models import Permission

    group = Group.objects.get(name=Role.REVIEWER.value)
    group.permissions.add(Permission.objects.get(codename="set_benefit_amount"))
    sync_role_groups()
    assert "accounts.set_benefit_amount" not in _granted(Role.REVIEWER)
