"""Phones outside the registry (login codes, the SMS outbox, opt-out list and inbound SMS, chatbot
conversations and callback requests) are stored encrypted; every lookup by phone goes through the blind
index, so the service still finds them; comparing the ciphertext raises; the admin searches them by phone;
``encryption_rotate`` re-encrypts them."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts.models import OneTimeCode
from accounts.roles import Role
from accounts.services import login_code_request
from backend import crypto
from backend.lookups import phone_index
from chatbot.models import CallbackRequest, Conversation
from chatbot.selectors import open_callback_request
from chatbot.services import chatbot_sms_receive
from notifications.models import SmsInbound, SmsOutbox, SmsRecipientPreference
from notifications.services import sms_inbound_receive, sms_outbox_send, sms_recipient_opt_out, sms_send
from notifications.sms import SmsKind
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PHONE = "+8613712345678"
DIGITS = "13712345678"

# (model, encrypted field, its blind index, table, column, index column)
COLUMNS = [
    (OneTimeCode, "phone", "phone_bidx", "accounts_onetimecode", "phone", "phone_bidx"),
    (SmsOutbox, "recipient", "recipient_bidx", "notifications_smsoutbox", "recipient", "recipient_bidx"),
    (SmsRecipientPreference, "phone", "phone_bidx", "notifications_smsrecipientpreference", "phone", "phone_bidx"),
    (SmsInbound, "from_phone", "from_phone_bidx", "notifications_smsinbound", "from_phone", "from_phone_bidx"),
    (Conversation, "phone", "phone_bidx", "chatbot_conversation", "phone", "phone_bidx"),
    (CallbackRequest, "phone", "phone_bidx", "chatbot_callbackrequest", "phone", "phone_bidx"),
]


def _raw(table: str, column: str, index_column: str) -> list[tuple[str, str | None]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}, {index_column} FROM {table} ORDER BY id")  # noqa: S608
        return list(cursor.fetchall())


def _every_kind_of_row() -> None:
    """One row of each table with PHONE, written the way the service writes them."""
    login_code_request(phone=PHONE, requester="ip:test")  # a code row and its SMS
    sms_recipient_opt_out(phone=PHONE, source=SmsRecipientPreference.Source.STAFF)
    sms_inbound_receive(provider_message_id="SM-enc-1", from_phone=PHONE, to_phone="+8610690000", text="你好")
    chatbot_sms_receive(phone=PHONE, text="怎么认证")
    CallbackRequest.objects.create(phone=PHONE, topic="human")


@pytest.mark.parametrize(("model", "field", "index", "table", "column", "index_column"), COLUMNS)
def test_the_database_holds_no_plaintext_phone(model, field, index, table, column, index_column):
    _every_kind_of_row()
    rows = [row for row in _raw(table, column, index_column) if row[1] is not None]
    assert rows, f"no {table} row with a phone"
    for stored, token in rows:
        assert DIGITS not in stored
        assert crypto.decrypt_text(stored, context=f"{model._meta.label_lower}.{field}") == PHONE
        assert token == phone_index(PHONE)
    assert getattr(model.objects.filter(**{index: phone_index(PHONE)}).first(), field) == PHONE


@pytest.mark.parametrize(("model", "field"), [(c[0], c[1]) for c in COLUMNS])
def test_comparing_the_ciphertext_raises_instead_of_matching_nothing(model, field):
    with pytest.raises(FieldError):
        list(model.objects.filter(**{field: PHONE}))
    with pytest.raises(FieldError):
        list(model.objects.filter(**{f"{field}__in": [PHONE]}))


def test_login_codes_are_still_counted_per_phone():
    login_code_request(phone=PHONE, requester="ip:test")
    with pytest.raises(Exception) as refused:  # the resend gap, found through the index
        login_code_request(phone=PHONE, requester="ip:test")
    assert getattr(refused.value, "code", "") == "code_resend_too_soon"
    assert OneTimeCode.objects.filter(phone_bidx=phone_index(PHONE)).count() == 1


def test_the_opt_out_list_is_one_row_per_phone_and_stops_reminders():
    sms_recipient_opt_out(phone=PHONE, source=SmsRecipientPreference.Source.KEYWORD)
    sms_recipient_opt_out(phone=PHONE, source=SmsRecipientPreference.Source.STAFF)
    assert SmsRecipientPreference.objects.count() == 1
    row = sms_send(to=PHONE, text="请按时认证", reason="enc:reminder", kind=SmsKind.REMINDER)
    sms_outbox_send(outbox_id=row.pk)
    row.refresh_from_db()
    assert row.status == SmsOutbox.Status.OPTED_OUT


def test_an_sms_conversation_is_found_again_by_phone():
    chatbot_sms_receive(phone=PHONE, text="你好")
    chatbot_sms_receive(phone=PHONE, text="怎么认证")
    assert Conversation.objects.filter(phone_bidx=phone_index(PHONE)).count() == 1
    assert Conversation.objects.get().messages.count() == 4


def test_an_open_callback_request_is_found_by_phone():
    made = CallbackRequest.objects.create(phone=PHONE, topic="human")
    since = timezone.now() - datetime.timedelta(days=1)
    assert open_callback_request(phone=PHONE, since=since) == made
    assert open_callback_request(phone="+8613712345679", since=since) is None


@pytest.mark.parametrize(
    ("url_name", "needle"),
    [
        ("admin:notifications_smsoutbox_changelist", "otc:"),
        ("admin:notifications_smsrecipientpreference_changelist", PHONE),
        ("admin:notifications_smsinbound_changelist", "SM-enc-1"),
        ("admin:chatbot_callbackrequest_changelist", "137****5678"),
    ],
)
def test_the_admin_finds_rows_by_phone_as_typed(client, url_name, needle):
    _every_kind_of_row()
    client.force_login(StaffFactory(is_superuser=True, roles=[Role.ADMIN]))
    found = client.get(reverse(url_name), {"q": "137 1234 5678"})
    assert found.status_code == 200
    assert needle in found.content.decode()
    missed = client.get(reverse(url_name), {"q": "137 1234 5679"})
    assert needle not in missed.content.decode()


def test_encryption_rotate_reencrypts_these_columns(settings):
    old, new = crypto.new_key(), crypto.new_key()
    settings.FIELD_ENCRYPTION_KEYS = [old]
    _every_kind_of_row()
    settings.FIELD_ENCRYPTION_KEYS = [new, old]
    call_command("encryption_rotate", batch=2, no_files=True, stdout=io.StringIO())
    settings.FIELD_ENCRYPTION_KEYS = [new]  # the old key is gone: everything must still read
    current = crypto.current_key_id()
    for model, field, index, table, column, index_column in COLUMNS:
        for stored, _token in _raw(table, column, index_column):
            if stored:
                assert crypto.text_key_id(stored) == current, table
        assert getattr(model.objects.filter(**{index: phone_index(PHONE)}).first(), field) == PHONE


# --- the data migrations -------------------------------------------------------------------------

BEFORE = [
    ("accounts", "0011_merge_requester_name_and_encryption"),
    ("notifications", "0002_outbox_pensioner_plain_id"),
    ("chatbot", "0001_initial"),
]
AFTER = [
    ("accounts", "0014_encrypt_phones_indexes"),
    ("notifications", "0005_encrypt_phones_indexes"),
    ("chatbot", "0004_encrypt_phones_indexes"),
]


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_encrypted_and_decrypted_back():
    old = _migrate(BEFORE)
    now = timezone.now()
    old.get_model("accounts", "OneTimeCode").objects.create(
        phone=PHONE, purpose="login", code_hash="0" * 64, expires_at=now
    )
    old.get_model("notifications", "SmsOutbox").objects.create(
        recipient=PHONE, kind="notice", template="t", text="通知", reason="migration:1"
    )
    old.get_model("notifications", "SmsRecipientPreference").objects.create(phone=PHONE)
    old.get_model("notifications", "SmsInbound").objects.create(provider_message_id="SM-m", from_phone=PHONE)
    conversation = old.get_model("chatbot", "Conversation")
    conversation.objects.create(channel="sms", phone=PHONE)
    old.get_model("chatbot", "CallbackRequest").objects.create(phone=PHONE)
    try:
        _migrate(AFTER)
        for model, field, _index, table, column, index_column in COLUMNS:
            ((stored, token),) = _raw(table, column, index_column)
            assert DIGITS not in stored, table
            assert crypto.decrypt_text(stored, context=f"{model._meta.label_lower}.{field}") == PHONE
            assert token == phone_index(PHONE), table
        _migrate(BEFORE)
        for _model, _field, _index, table, column, _index_column in COLUMNS:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
                assert cursor.fetchall() == [(PHONE,)], table
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
