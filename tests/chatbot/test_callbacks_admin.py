"""Callback requests: visible to staff of the person's region in the admin, closed by an action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AuditEvent, Region
from accounts.roles import Role
from chatbot.models import CallbackRequest
from chatbot.services import callback_request_close, callback_request_create
from tests.factories import PensionerFactory, RegionFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def requests_in_two_counties():  # type: ignore[no-untyped-def]
    here = PensionerFactory(region=RegionFactory(code="360102001001"))
    there = PensionerFactory(region=RegionFactory(code="360103001001"))
    mine = callback_request_create(
        conversation=None, user=None, phone=here.phone, pensioner=here, region=here.region, topic="human"
    )
    other = callback_request_create(
        conversation=None, user=None, phone=there.phone, pensioner=there, region=there.region, topic="human"
    )
    return mine, other


def _admin_client(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


def test_caseworker_sees_only_requests_of_their_county(client, requests_in_two_counties) -> None:
    mine, _other = requests_in_two_counties
    worker = StaffFactory(roles=[Role.CASEWORKER])
    response = _admin_client(client, worker).get(reverse("admin:chatbot_callbackrequest_changelist"))
    assert response.status_code == 200
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert shown == {mine.pk}


def test_callback_detail_of_another_county_is_not_reachable(client, requests_in_two_counties) -> None:
    _mine, other = requests_in_two_counties
    worker = StaffFactory(roles=[Role.CASEWORKER])
    response = _admin_client(client, worker).get(reverse("admin:chatbot_callbackrequest_change", args=[other.pk]))
    assert response.status_code in (302, 404)


def test_pensioner_or_relative_cannot_open_the_admin_list(client, requests_in_two_counties) -> None:
    from tests.factories import UserFactory

    user = UserFactory(roles=[Role.RELATIVE], is_staff=True)
    response = _admin_client(client, user).get(reverse("admin:chatbot_callbackrequest_changelist"))
    assert response.status_code == 403


def test_mark_called_back_action_closes_and_audits(client, requests_in_two_counties) -> None:
    mine, _other = requests_in_two_counties
    worker = StaffFactory(roles=[Role.CASEWORKER])
    response = _admin_client(client, worker).post(
        reverse("admin:chatbot_callbackrequest_changelist"),
        {"action": "mark_called_back", "_selected_action": [mine.pk]},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert (mine.status, mine.handled_by) == (CallbackRequest.Status.DONE, worker)
    assert AuditEvent.objects.filter(action="chatbot.callback.close", actor=worker).count() == 1


def test_closing_twice_changes_nothing(requests_in_two_counties) -> None:
    mine, _other = requests_in_two_counties
    first, second = StaffFactory(roles=[Role.CASEWORKER]), StaffFactory(roles=[Role.CASEWORKER])
    callback_request_close(callback=mine, actor=first, note="已回电")
    callback_request_close(callback=mine, actor=second)
    mine.refresh_from_db()
    assert (mine.handled_by, mine.note) == (first, "已回电")


def test_requests_without_a_region_go_to_city_level_staff(client) -> None:
    orphan = callback_request_create(
        conversation=None, user=None, phone="+8613999999990", pensioner=None, region=None, topic="human"
    )
    county_worker = StaffFactory(roles=[Role.CASEWORKER])
    city_worker = StaffFactory(
        roles=[Role.CASEWORKER], region=RegionFactory(code="360100000000", level=Region.Level.CITY)
    )
    from chatbot.selectors import callback_requests_in_scope

    assert orphan not in callback_requests_in_scope(actor=county_worker)
    assert orphan in callback_requests_in_scope(actor=city_worker)
