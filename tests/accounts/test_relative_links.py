import re

import pytest

from accounts.models import RelativeLink
from accounts.roles import Role
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def ask(client, pensioner, **overrides):
    payload = {"id_number": pensioner.id_number, "name": pensioner.name, "relationship": "child", **overrides}
    return client.post("/api/v1/relatives/links", payload, format="json")


def test_asking_sends_a_code_to_the_pensioners_own_phone(sms_outbox):
    pensioner = PensionerFactory()
    response = ask(client_for(UserFactory(roles=[Role.RELATIVE])), pensioner)
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    assert sms_outbox[-1].to == pensioner.phone


def test_the_pensioners_code_approves_the_link(sms_outbox):
    pensioner = PensionerFactory()
    client = client_for(UserFactory(roles=[Role.RELATIVE]))
    link_id = ask(client, pensioner).json()["id"]
    code = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    response = client.post(f"/api/v1/relatives/links/{link_id}/confirm", {"code": code}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_a_wrong_code_does_not_approve(sms_outbox):
    pensioner = PensionerFactory()
    client = client_for(UserFactory(roles=[Role.RELATIVE]))
    link_id = ask(client, pensioner).json()["id"]
    code = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    wrong = "000000" if code != "000000" else "111111"
    response = client.post(f"/api/v1/relatives/links/{link_id}/confirm", {"code": wrong}, format="json")
    assert response.json()["code"] == "code_invalid"
    assert RelativeLink.objects.get(pk=link_id).status == "pending"


def test_a_name_that_does_not_match_reveals_nothing():
    pensioner = PensionerFactory()
    response = ask(client_for(UserFactory(roles=[Role.RELATIVE])), pensioner, name="不对的名字")
    assert response.status_code == 404
    assert response.json()["code"] == "pensioner_not_matched"
    assert not RelativeLink.objects.exists()


def test_asking_twice_is_a_conflict():
    pensioner = PensionerFactory()
    client = client_for(UserFactory(roles=[Role.RELATIVE]))
    ask(client, pensioner)
    response = ask(client, pensioner)
    assert response.status_code == 409
    assert response.json()["code"] == "link_exists"


def test_another_users_link_cannot_be_confirmed():
    link = RelativeLinkFactory(status=RelativeLink.Status.PENDING)
    response = client_for(UserFactory()).post(f"/api/v1/relatives/links/{link.pk}/confirm", {"code": "123456"})
    assert response.status_code == 404


def test_staff_approval_is_recorded_with_the_approver():
    from accounts.services import relative_link_decide

    link = RelativeLinkFactory(status=RelativeLink.Status.PENDING)
    staff = StaffFactory(roles=[Role.CASEWORKER])
    relative_link_decide(link=link, staff=staff, approve=True)
    link.refresh_from_db()
    assert (link.status, link.approved_by, link.approved_via) == ("approved", staff, "staff")
