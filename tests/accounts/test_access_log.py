"""PIPL right to know: a person sees who read or changed their data, staff masked to role and office."""

import pytest
from rest_framework.test import APIClient

from accounts.roles import Role
from accounts.services import audit_record
from tests.conftest import client_for
from tests.factories import PensionerFactory, StaffFactory, UserFactory, pensioner_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def me():  # type: ignore[no-untyped-def]
    pensioner = PensionerFactory()
    return pensioner, pensioner_user(pensioner)


def log(user):  # type: ignore[no-untyped-def]
    response = client_for(user).get("/api/v1/me/access-log")
    assert response.status_code == 200
    return response.json()


def test_a_staff_read_shows_role_and_office_never_the_name(me):
    pensioner, user = me
    staff = StaffFactory(roles=[Role.CASEWORKER], first_name="王", last_name="经办")
    audit_record(actor=staff, action="certification.status.read", target=pensioner)
    row = log(user)["results"][0]
    assert row["kind"] == "read"
    assert row["who_kind"] == "staff"
    assert row["who"] == f"经办人员 · {staff.region.name}"
    assert "王" not in str(log(user))


def test_changes_and_own_actions_are_listed_newest_first(me):
    pensioner, user = me
    audit_record(actor=None, action="pensioner.suspend", target=pensioner)
    audit_record(actor=user, action="facecheck.verify", target=pensioner)
    rows = log(user)["results"]
    assert [(r["action"], r["kind"], r["who_kind"]) for r in rows[:2]] == [
        ("facecheck.verify", "change", "self"),
        ("pensioner.suspend", "change", "system"),
    ]


def test_a_relative_is_shown_as_family_member(me):
    pensioner, user = me
    audit_record(actor=UserFactory(roles=[Role.RELATIVE]), action="certification.status.read", target=pensioner)
    assert log(user)["results"][0]["who"] == "亲属"


def test_someone_elses_events_are_not_listed(me):
    _pensioner, user = me
    audit_record(actor=None, action="pensioner.suspend", target=PensionerFactory())
    assert all(r["action"] != "pensioner.suspend" for r in log(user)["results"])


def test_the_log_is_paginated(me):
    pensioner, user = me
    for _ in range(25):
        audit_record(actor=None, action="certification.status.read", target=pensioner)
    body = log(user)
    assert body["count"] >= 25
    assert len(body["results"]) == 20
    assert body["next"]


def test_an_account_without_a_registry_row_sees_events_on_its_account():
    user = UserFactory(roles=[Role.RELATIVE])
    audit_record(actor=user, action="auth.login", target=user)
    assert log(user)["results"][0]["action"] == "auth.login"


def test_it_needs_a_login():
    assert APIClient().get("/api/v1/me/access-log").status_code == 401
