"""The typed button payload keeps the wire format; the dialogue returns writes as commands."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from casework.models import DeathReport
from chatbot.commands import AuditStatusRead, RequestCallback, SubmitDeathReport
from chatbot.dialogue import Dialogue
from chatbot.models import CallbackRequest, Conversation
from chatbot.nlu.intents import Intent
from chatbot.payloads import DateChoice, Kind, Payload, PlaceChoice
from chatbot.selectors import audience_for_user


@pytest.mark.parametrize(
    ("payload", "wire"),
    [
        (Payload.intent(Intent.CHECK_STATUS), "intent:check_status"),
        (Payload.cancel(), "cancel"),
        (Payload.none_of_these(), "none"),
        (Payload.face(), "face"),
        (Payload.face(7), "face:7"),
        (Payload.person(12), "person:12"),
        (Payload.confirm(), "confirm"),
        (Payload.handoff(), "handoff"),
        (Payload.date(DateChoice.YESTERDAY), "date:yesterday"),
        (Payload.place(PlaceChoice.HOSPITAL), "place:hospital"),
    ],
)
def test_payload_encodes_to_the_wire_format_and_back(payload: Payload, wire: str) -> None:
    assert payload.encode() == wire
    assert Payload.decode(wire) == payload


@pytest.mark.parametrize("wire", ["", "hello", "intents:check_status", "确认"])
def test_a_string_no_button_sends_is_not_a_payload(wire: str) -> None:
    assert Payload.decode(wire) is None


def test_malformed_arguments_read_as_nothing() -> None:
    assert Payload.decode("person:abc").pensioner_id is None  # type: ignore[union-attr]
    assert Payload.decode("intent:nonsense").intent_value is None  # type: ignore[union-attr]
    assert Payload.decode("date:tomorrow").date_choice is None  # type: ignore[union-attr]
    assert Payload.decode("place:moon").place_choice is None  # type: ignore[union-attr]
    assert Payload.decode(" person:3 ") == Payload(Kind.PERSON, "3")


def _dialogue(user) -> Dialogue:  # type: ignore[no-untyped-def]
    conversation = Conversation.objects.create(channel="app", user=user)
    return Dialogue(audience=audience_for_user(user=user), conversation=conversation)


@pytest.mark.django_db
def test_the_confirmed_death_report_is_a_command_and_the_dialogue_writes_nothing(family) -> None:
    dialogue = _dialogue(family.daughter)
    dialogue.handle(text="我爸昨天在家里去世了")
    turn = dialogue.handle(text="确认")
    assert turn.reply is None
    assert isinstance(turn.command, SubmitDeathReport)
    assert turn.command.pensioner_id == family.father.pk
    assert turn.command.date_of_death == timezone.localdate() - datetime.timedelta(days=1)
    assert DeathReport.objects.count() == 0


@pytest.mark.django_db
def test_the_callback_request_is_a_command_and_the_dialogue_writes_nothing(family) -> None:
    dialogue = _dialogue(family.mother_user)
    dialogue.handle(text="转人工")
    turn = dialogue.handle(text="", payload="handoff")
    assert isinstance(turn.command, RequestCallback)
    assert (turn.command.phone, turn.command.pensioner) == (family.mother_user.phone, family.mother)
    assert CallbackRequest.objects.count() == 0


@pytest.mark.django_db
def test_reading_a_relatives_status_is_an_audit_effect_not_a_write(family) -> None:
    from accounts.models import AuditEvent

    dialogue = _dialogue(family.daughter)
    turn = dialogue.handle(text="我妈认证了吗")
    assert turn.effects == [AuditStatusRead(pensioner=family.mother)]
    assert not AuditEvent.objects.filter(action="chatbot.status.read").exists()


@pytest.mark.django_db
def test_sms_inbound_handler_answers_and_says_it_handled_the_message(family, sms_outbox) -> None:
    from chatbot.services import sms_inbound_handle
    from notifications.models import SmsInbound

    inbound = SmsInbound.objects.create(provider_message_id="SM-1", from_phone=family.mother.phone, text="你好")
    assert sms_inbound_handle(inbound=inbound) is True
    assert [m.to for m in sms_outbox] == [family.mother.phone]
