"""POST /api/v1/sms/status-callback and /api/v1/sms/inbound: signed by twilio, idempotent, forward-only."""

from __future__ import annotations

import datetime
import zoneinfo
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from twilio.request_validator import RequestValidator

from backend.lookups import phone_index
from notifications import registry
from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference
from notifications.services import sms_recipient_opt_out, sms_send
from notifications.sms import SmsKind
from tests.notifications.conftest import PUBLIC_BASE_URL, TWILIO_TOKEN

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
STATUS = "/api/v1/sms/status-callback"
INBOUND = "/api/v1/sms/inbound"
PHONE = "+8613800138000"
pytestmark = pytest.mark.django_db


def signed_post(path: str, params: dict[str, str], *, token: str = TWILIO_TOKEN, signature: str | None = None):  # type: ignore[no-untyped-def]
    url = PUBLIC_BASE_URL + path
    if signature is None:
        signature = RequestValidator(token).compute_signature(url, params)
    headers = {"HTTP_X_TWILIO_SIGNATURE": signature} if signature else {}
    return Client().post(path, urlencode(params), content_type="application/x-www-form-urlencoded", **headers)


def sent_row(sid: str = "SM1") -> SmsOutbox:
    with time_machine.travel(DAY, tick=False):
        row = sms_send(to=PHONE, text="【人社局】通知", reason="case:1")
    SmsOutbox.objects.filter(pk=row.pk).update(provider_message_id=sid)
    row.refresh_from_db()
    assert row.status == "sent"
    return row


def report(sid: str, status: str, *, outbox_id: int | None = None, error: str = ""):  # type: ignore[no-untyped-def]
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1"}
    if error:
        params["ErrorCode"] = error
    path = STATUS + (f"?o={outbox_id}" if outbox_id else "")
    return signed_post(path, params)


# --- signatures --------------------------------------------------------------------------------


def test_a_callback_with_a_wrong_signature_is_refused_with_403_and_a_code():
    row = sent_row()
    response = signed_post(STATUS, {"MessageSid": "SM1", "MessageStatus": "delivered"}, token="not-the-token")
    assert response.status_code == 403
    assert response.json()["code"] == "twilio_signature_invalid"
    assert response.json()["message"] == "请求签名无效。"
    row.refresh_from_db()
    assert row.status == "sent"


def test_a_callback_without_a_signature_is_refused():
    response = signed_post(STATUS, {"MessageSid": "SM1", "MessageStatus": "delivered"}, signature="")
    assert (response.status_code, response.json()["code"]) == (403, "twilio_signature_invalid")


def test_a_signature_for_other_parameters_is_refused():
    good = RequestValidator(TWILIO_TOKEN).compute_signature(
        PUBLIC_BASE_URL + STATUS, {"MessageSid": "SM1", "MessageStatus": "sent"}
    )
    response = signed_post(STATUS, {"MessageSid": "SM1", "MessageStatus": "delivered"}, signature=good)
    assert response.status_code == 403


def test_the_signature_covers_the_public_url_not_the_internal_host(settings):
    settings.PUBLIC_BASE_URL = "https://other.example.com"
    response = signed_post(STATUS, {"MessageSid": "SM1", "MessageStatus": "delivered"})  # signed for the old URL
    assert response.status_code == 403


def test_without_a_twilio_token_the_webhooks_refuse_everything(settings):
    settings.TWILIO_AUTH_TOKEN = ""
    response = signed_post(INBOUND, {"MessageSid": "SM9", "From": PHONE, "Body": "TD"}, token="anything")
    assert (response.status_code, response.json()["code"]) == (403, "twilio_not_configured")


def test_a_signed_callback_with_missing_fields_is_a_400_in_the_error_shape():
    response = signed_post(STATUS, {"MessageStatus": "delivered"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "MessageSid" in response.json()["fields"]


# --- delivery reports --------------------------------------------------------------------------


def test_a_delivery_report_updates_the_status():
    row = sent_row()
    assert report("SM1", "delivered").status_code == 204
    row.refresh_from_db()
    assert row.status == "delivered"


def test_reports_arriving_out_of_order_never_move_the_status_back():
    row = sent_row()
    report("SM1", "delivered")
    report("SM1", "sent")
    report("SM1", "queued")
    row.refresh_from_db()
    assert row.status == "delivered"


def test_a_repeated_report_is_harmless():
    row = sent_row()
    for _ in range(3):
        assert report("SM1", "undelivered", error="30003").status_code == 204
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("undelivered", "30003")


def test_a_report_for_an_unknown_message_is_accepted_and_ignored():
    assert report("SM-unknown", "delivered").status_code == 204
    assert not SmsOutbox.objects.exists()


def test_a_report_that_overtakes_our_own_sent_write_finds_the_row_by_its_outbox_id():
    with time_machine.travel(DAY, tick=False):
        row = SmsOutbox.objects.create(
            recipient=PHONE,
            kind="notice",
            template="x",
            text="t",
            reason="r:1",
            status="sending",
            claim_token="tok",
            claimed_at=DAY,
            send_after=DAY,
        )
    report("SM77", "delivered", outbox_id=row.pk)
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("delivered", "SM77")


def test_a_failed_report_with_21610_opts_the_number_out():
    row = sent_row()
    report("SM1", "failed", error="21610")
    row.refresh_from_db()
    assert row.status == "opted_out"
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(PHONE)).opted_out_at is not None


# --- inbound -----------------------------------------------------------------------------------


def inbound(body: str, sid: str = "SMin1", **extra: str):  # type: ignore[no-untyped-def]
    with time_machine.travel(DAY, tick=False):
        return signed_post(INBOUND, {"MessageSid": sid, "From": PHONE, "To": "+15005550006", "Body": body, **extra})


@pytest.mark.parametrize("body", ["退订", "TD", "td", "ＴＤ", " STOP ", "退订。"])
def test_an_opt_out_keyword_stops_reminders_and_is_acknowledged(body, sms_outbox):
    response = inbound(body)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(PHONE)).opted_out_at is not None
    assert [message.kind for message in sms_outbox] == [SmsKind.REPLY]
    assert "退订" in sms_outbox[0].text


def test_after_opting_out_reminders_stop_but_required_notices_still_go(sms_outbox):
    inbound("退订")
    sms_outbox.clear()
    with time_machine.travel(DAY, tick=False):
        sms_send(to=PHONE, text="提醒", reason="reminder:1", kind=SmsKind.REMINDER)
        sms_send(to=PHONE, text="暂停通知", reason="suspended:1", kind=SmsKind.NOTICE)
    assert [message.reason for message in sms_outbox] == ["suspended:1"]


def test_a_sentence_containing_stop_is_not_an_opt_out(monkeypatch):
    monkeypatch.setattr(registry, "_inbound_handlers", [])  # no chatbot installed
    inbound("STOP please, how do I certify?")
    assert not SmsRecipientPreference.objects.exists()
    assert SmsInbound.objects.get().action == "ignored"


def test_dy_opts_back_in():
    sms_recipient_opt_out(phone=PHONE, source="keyword")
    inbound("DY")
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(PHONE)).opted_out_at is None


def test_twilio_advanced_opt_out_type_is_honoured_without_a_second_reply(sms_outbox):
    inbound("停止", OptOutType="STOP")
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(PHONE)).source == "opt_out_type"
    assert sms_outbox == []


def test_other_text_goes_to_the_chatbot_once_even_if_twilio_retries(monkeypatch):
    received: list[tuple[str, str]] = []
    monkeypatch.setattr(
        registry, "_inbound_handlers", [lambda *, inbound: received.append((inbound.from_phone, inbound.text)) or True]
    )
    inbound("我什么时候要认证？")
    inbound("我什么时候要认证？")  # the same MessageSid again
    assert received == [(PHONE, "我什么时候要认证？")]
    assert SmsInbound.objects.get().action == "chatbot"


def test_without_a_chatbot_other_text_is_stored_and_skipped_cleanly(monkeypatch):
    monkeypatch.setattr(registry, "_inbound_handlers", [])
    assert inbound("你好").status_code == 200
    assert SmsInbound.objects.get().action == "ignored"


def test_a_retried_opt_out_webhook_is_acknowledged_once(sms_outbox):
    inbound("TD")
    inbound("TD")
    assert len(sms_outbox) == 1
