"""The real twilio client, driven against a local HTTP stub (pytest-httpserver): never the network."""

from __future__ import annotations

import datetime
import socket
import time
import zoneinfo
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
import time_machine
from twilio.http.http_client import TwilioHttpClient
from werkzeug import Response

from backend.lookups import phone_index
from notifications.models import SmsOutbox, SmsRecipientPreference
from notifications.services import sms_outbox_send, sms_outbox_sweep
from notifications.sms import TwilioBackend

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
DAY = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
ACCOUNT = "AC" + "0" * 32
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
pytestmark = pytest.mark.django_db


class LocalTwilioHttpClient(TwilioHttpClient):
    """twilio's own HTTP client, with https://api.twilio.com rewritten to the local stub."""

    def __init__(self, base_url: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().request(method, url.replace("https://api.twilio.com", self.base_url, 1), *args, **kwargs)


@pytest.fixture
def twilio_at(settings, monkeypatch):  # type: ignore[no-untyped-def]
    """Point the twilio backend at ``base_url``."""
    settings.SMS_BACKEND = "twilio"

    def point(base_url: str) -> None:
        monkeypatch.setattr(
            TwilioBackend,
            "http_client_factory",
            staticmethod(lambda: LocalTwilioHttpClient(base_url, timeout=settings.TWILIO_TIMEOUT_SECONDS)),
        )

    return point


@pytest.fixture
def twilio(httpserver, twilio_at):  # type: ignore[no-untyped-def]
    twilio_at(httpserver.url_for("/"))
    return httpserver


def outbox_row(reason: str = "overdue:1:2026-11-22") -> SmsOutbox:
    return SmsOutbox.objects.create(
        recipient="+8613800138000",
        kind="notice",
        template="overdue",
        text="【人社局】张*三您好，您的养老待遇资格认证已于2026年11月22日到期。",
        reason=reason,
        send_after=DAY,
    )


def twilio_error(code: int, status: int = 400) -> dict:
    return {
        "code": code,
        "message": f"error {code}",
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def test_a_message_is_created_through_the_messages_api_with_a_signed_callback(twilio, settings):
    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(
        {"sid": "SM" + "a" * 32, "status": "accepted", "to": "+8613800138000"}, status=201
    )
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "sent"
    request, _response = twilio.log[0]
    form = {key: values[0] for key, values in parse_qs(request.get_data(as_text=True)).items()}
    assert request.authorization.username == ACCOUNT
    assert request.authorization.password == settings.TWILIO_AUTH_TOKEN
    assert form["To"] == "+8613800138000"
    assert form["Body"] == row.text
    assert form["MessagingServiceSid"] == settings.TWILIO_MESSAGING_SERVICE_SID
    assert form["StatusCallback"] == f"https://pension.example.gov.cn/api/v1/sms/status-callback?o={row.pk}"
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", "SM" + "a" * 32)


def test_a_sender_number_is_used_when_there_is_no_messaging_service(twilio, settings):
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_FROM = "+15005550006"
    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_json({"sid": "SM1"}, status=201)
    with time_machine.travel(DAY, tick=False):
        sms_outbox_send(outbox_id=outbox_row().pk)
    form = parse_qs(twilio.log[0][0].get_data(as_text=True))
    assert form["From"] == ["+15005550006"]
    assert "MessagingServiceSid" not in form


def test_21610_from_twilio_opts_the_number_out(twilio):
    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(twilio_error(21610), status=400)
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "opted_out"
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("opted_out", "21610")
    assert SmsRecipientPreference.objects.get(phone_bidx=phone_index(row.recipient)).opted_out_at is not None


def test_21211_from_twilio_is_a_permanent_failure(twilio):
    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_json(twilio_error(21211), status=400)
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "failed"
    row.refresh_from_db()
    assert (row.status, row.error_code, row.attempts) == ("failed", "21211", 1)


def test_a_twilio_server_error_is_retried_later(twilio):
    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_data("upstream down", status=503)
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "retry"
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("pending", "503")
    assert row.send_after > DAY


def test_a_refused_connection_is_retried_later(twilio_at):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    twilio_at(f"http://127.0.0.1:{port}")
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "retry"
    assert SmsOutbox.objects.get().error_code == "connection_error"


def test_a_read_timeout_is_left_for_the_sweeper_which_asks_twilio(twilio, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 0.3
    sid = "SM" + "b" * 32

    def slow(request):  # type: ignore[no-untyped-def]
        time.sleep(0.8)  # twilio created the message, but the answer comes too late
        return Response(f'{{"sid": "{sid}"}}', status=201, content_type="application/json")

    twilio.expect_oneshot_request(MESSAGES, method="POST").respond_with_handler(slow)
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "unknown"
    row.refresh_from_db()
    assert (row.status, row.error_code) == ("sending", "timeout")
    time.sleep(0.6)  # let the stub finish the slow request before the next one

    settings.TWILIO_TIMEOUT_SECONDS = 5
    created = format_datetime(DAY.astimezone(datetime.UTC), usegmt=True)
    twilio.expect_oneshot_request(
        MESSAGES, method="GET", query_string={"To": row.recipient, "PageSize": "50"}
    ).respond_with_json(
        {
            "messages": [{"sid": sid, "body": row.text, "to": row.recipient, "date_created": created}],
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
            "start": 0,
            "end": 0,
            "uri": MESSAGES,
            "first_page_uri": MESSAGES,
            "previous_page_uri": None,
        }
    )
    with time_machine.travel(DAY + datetime.timedelta(minutes=11), tick=False):
        assert sms_outbox_sweep().recovered_sent == 1
    row.refresh_from_db()
    assert (row.status, row.provider_message_id) == ("sent", sid)
    assert len([entry for entry in twilio.log if entry[0].method == "POST"]) == 1  # never sent twice


def test_the_sweeper_requeues_when_twilio_has_no_such_message(twilio):
    row = outbox_row()
    SmsOutbox.objects.filter(pk=row.pk).update(status="sending", claimed_at=DAY, claim_token="x", attempts=1)
    twilio.expect_oneshot_request(MESSAGES, method="GET").respond_with_json(
        {"messages": [], "next_page_uri": None, "page": 0, "page_size": 50, "start": 0, "end": 0, "uri": MESSAGES}
    )
    with time_machine.travel(DAY + datetime.timedelta(minutes=11), tick=False):
        assert sms_outbox_sweep().requeued == 1
    assert SmsOutbox.objects.get().status == "pending"


def test_without_twilio_credentials_nothing_is_claimed_and_the_row_waits(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = ""
    row = outbox_row()
    with time_machine.travel(DAY, tick=False):
        assert sms_outbox_send(outbox_id=row.pk) == "backend_unavailable"
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 0)
