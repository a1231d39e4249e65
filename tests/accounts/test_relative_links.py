"""Linking a relative: the requester learns nothing about the registry; the pensioner answers from their
own phone (an SMS reply) or their own app, and is never asked to pass a code to anyone."""

import time

import pytest
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AuditEvent, RelativeLink
from accounts.roles import Role
from backend.lookups import phone_index
from notifications.models import SmsOutbox
from notifications.services import sms_inbound_receive
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, StaffFactory, UserFactory, pensioner_user

pytestmark = pytest.mark.django_db


def ask(client, pensioner, **overrides):  # type: ignore[no-untyped-def]
    payload = {
        "id_number": pensioner.id_number,
        "name": pensioner.name,
        "relationship": "child",
        "requester_name": "王小明",
        **overrides,
    }
    return client.post("/api/v1/relatives/links", payload, format="json")


def asks_to(pensioner) -> list[SmsOutbox]:  # type: ignore[no-untyped-def]
    return list(
        SmsOutbox.objects.filter(reason__startswith="relative_link_ask:", recipient_bidx=phone_index(pensioner.phone))
    )


def reply(phone: str, text: str, sid: str = "SMin1"):  # type: ignore[no-untyped-def]
    return sms_inbound_receive(provider_message_id=sid, from_phone=phone, to_phone="+8610000", text=text)


def relative_client():  # type: ignore[no-untyped-def]
    user = UserFactory(roles=[Role.RELATIVE])
    return user, client_for(user)


# --- asking reveals nothing --------------------------------------------------------------------------


def test_a_match_and_a_miss_get_the_same_answer(settings):
    pensioner = PensionerFactory()
    _user, client = relative_client()
    known = ask(client, pensioner)
    unknown = ask(client, pensioner, name="不对的名字")
    bad_id = ask(client, pensioner, id_number="110101199001011234")
    assert known.status_code == unknown.status_code == bad_id.status_code == 202
    assert known.json() == unknown.json() == bad_id.json()
    assert "id" not in known.json()


def test_asking_again_gets_the_same_answer_and_no_second_sms():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    first, second = ask(client, pensioner), ask(client, pensioner)
    assert first.json() == second.json() and second.status_code == 202
    assert len(asks_to(pensioner)) == 1
    assert RelativeLink.objects.count() == 1


def test_the_sms_goes_out_only_when_the_pair_matches():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner, name="不对的名字")
    assert not SmsOutbox.objects.exists()
    assert not RelativeLink.objects.exists()
    ask(client, pensioner)
    assert len(asks_to(pensioner)) == 1


def test_a_pending_request_is_not_listed_to_the_requester():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    assert client.get("/api/v1/relatives/links").json() == []


def test_a_match_and_a_miss_take_the_same_minimum_time(settings):
    settings.RELATIVE_LINK_MIN_RESPONSE_SECONDS = 0.3
    pensioner = PensionerFactory()
    _user, client = relative_client()
    timings = []
    for overrides in ({}, {"name": "不对的名字"}):
        started = time.monotonic()
        ask(client, pensioner, **overrides)
        timings.append(time.monotonic() - started)
    assert all(t >= 0.3 for t in timings), timings


def test_both_outcomes_are_audited():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    ask(client, pensioner, name="不对的名字")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"relative_link.request", "relative_link.request_unmatched"} <= actions


def test_requests_are_throttled_per_user(monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "relative_link", "2/hour")
    pensioner = PensionerFactory()
    _user, client = relative_client()
    assert ask(client, pensioner, name="甲").status_code == 202
    assert ask(client, pensioner, name="乙").status_code == 202
    response = ask(client, pensioner)
    assert response.status_code == 429
    assert not asks_to(pensioner)
    _other, other_client = relative_client()
    assert ask(other_client, pensioner).status_code == 202


def test_the_code_confirmation_endpoint_is_gone():
    link = RelativeLinkFactory(status=RelativeLink.Status.PENDING)
    response = client_for(link.relative).post(f"/api/v1/relatives/links/{link.pk}/confirm", {"code": "123456"})
    assert response.status_code == 404


# --- the SMS to the pensioner ------------------------------------------------------------------------


def test_the_sms_names_the_requester_masked_and_asks_for_no_code():
    pensioner = PensionerFactory()
    user, client = relative_client()
    ask(client, pensioner)
    (sms,) = asks_to(pensioner)
    assert "王*明" in sms.text
    assert user.phone[-4:] in sms.text
    assert "子女" in sms.text
    assert "验证码" not in sms.text.replace("不含验证码", "")
    assert "告诉" not in sms.text
    assert f"Y{RelativeLink.objects.get().pk}" in sms.text


# --- the pensioner answers by SMS --------------------------------------------------------------------


def test_replying_y_from_the_pensioners_phone_approves():
    pensioner = PensionerFactory()
    user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    reply(pensioner.phone, f"Y{link.pk}")
    link.refresh_from_db()
    assert (link.status, link.approved_via) == ("approved", "pensioner_sms")
    assert client.get("/api/v1/relatives/links").json()[0]["status"] == "approved"
    assert SmsOutbox.objects.filter(
        reason=f"relative_link_answer:{link.pk}", recipient_bidx=phone_index(user.phone)
    ).exists()
    assert SmsOutbox.objects.filter(
        reason=f"relative_link_reply_ack:{link.pk}", recipient_bidx=phone_index(pensioner.phone)
    ).exists()


def test_a_bare_y_answers_the_only_pending_request():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    reply(pensioner.phone, " y ")
    assert RelativeLink.objects.get().status == "approved"


def test_replying_n_refuses():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    reply(pensioner.phone, f"N{link.pk}")
    link.refresh_from_db()
    assert (link.status, link.approved_via) == ("revoked", "declined_sms")


def test_a_reply_from_another_phone_decides_nothing():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    reply("+8613900000000", f"Y{link.pk}")
    assert RelativeLink.objects.get().status == "pending"


def test_a_bare_y_with_two_pending_requests_decides_nothing():
    pensioner = PensionerFactory()
    for _ in range(2):
        ask(relative_client()[1], pensioner)
    reply(pensioner.phone, "Y")
    assert set(RelativeLink.objects.values_list("status", flat=True)) == {"pending"}


# --- the pensioner answers in their own app ----------------------------------------------------------


def test_the_pensioner_lists_pending_requests_with_the_requester_masked():
    pensioner = PensionerFactory()
    user, client = relative_client()
    ask(client, pensioner)
    me = client_for(pensioner_user(pensioner))
    (item,) = me.get("/api/v1/me/link-requests").json()
    assert item["requester_name"] == "王*明"
    assert item["requester_phone"] == user.phone[3:6] + "****" + user.phone[-4:]
    assert item["relationship"] == "child"


def test_the_pensioner_approves_in_the_app():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    response = client_for(pensioner_user(pensioner)).post(f"/api/v1/me/link-requests/{link.pk}/approve")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    link.refresh_from_db()
    assert link.approved_via == "pensioner_app"


def test_the_pensioner_declines_in_the_app():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    response = client_for(pensioner_user(pensioner)).post(f"/api/v1/me/link-requests/{link.pk}/decline")
    assert response.status_code == 200
    assert RelativeLink.objects.get().status == "revoked"


def test_the_relative_cannot_approve_their_own_request():
    pensioner = PensionerFactory()
    _user, client = relative_client()
    ask(client, pensioner)
    link = RelativeLink.objects.get()
    assert client.post(f"/api/v1/me/link-requests/{link.pk}/approve").status_code == 404
    assert client.get("/api/v1/me/link-requests").json() == []
    assert RelativeLink.objects.get().status == "pending"


def test_another_pensioner_cannot_decide_it():
    pensioner = PensionerFactory()
    ask(relative_client()[1], pensioner)
    link = RelativeLink.objects.get()
    stranger = client_for(pensioner_user(PensionerFactory()))
    assert stranger.post(f"/api/v1/me/link-requests/{link.pk}/approve").status_code == 404


def test_a_decided_request_cannot_be_decided_again():
    link = RelativeLinkFactory(status=RelativeLink.Status.APPROVED)
    response = client_for(pensioner_user(link.pensioner)).post(f"/api/v1/me/link-requests/{link.pk}/decline")
    assert response.status_code == 409
    assert response.json()["code"] == "link_not_pending"


# --- staff at the counter ----------------------------------------------------------------------------


def test_staff_approval_is_recorded_with_the_approver():
    from accounts.services import relative_link_decide

    link = RelativeLinkFactory(status=RelativeLink.Status.PENDING)
    staff = StaffFactory(roles=[Role.CASEWORKER])
    relative_link_decide(link=link, staff=staff, approve=True)
    link.refresh_from_db()
    assert (link.status, link.approved_by, link.approved_via) == ("approved", staff, "staff")
