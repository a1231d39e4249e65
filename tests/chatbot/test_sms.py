"""The SMS channel: the sender's number is the identity; personal data only to a number on record."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import Pensioner
from backend.lookups import phone_index
from casework.models import DeathReport
from chatbot.models import CallbackRequest, Conversation, Message
from chatbot.services import chatbot_sms_receive
from notifications.models import SmsOutbox
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db


def _date(day: datetime.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def replies(outbox, phone: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.text for m in outbox if m.to == phone]


def test_a_pensioner_texting_from_the_registered_number_gets_their_status(family, sms_outbox) -> None:
    chatbot_sms_receive(phone=family.mother.phone, text="我今年认证了没有")
    [reply] = replies(sms_outbox, family.mother.phone)
    assert _date(family.mother.next_due) in reply


def test_pensioner_without_an_account_is_known_by_the_number_on_record(db, sms_outbox) -> None:
    pensioner = PensionerFactory(name="赵大山", phone="+8613607910001")
    assert pensioner.user is None
    chatbot_sms_receive(phone="+8613607910001", text="下次什么时候认证")
    [reply] = replies(sms_outbox, "+8613607910001")
    assert _date(pensioner.next_due) in reply


def test_unknown_number_gets_no_personal_data(family, sms_outbox) -> None:
    stranger_phone = "+8613999999999"
    chatbot_sms_receive(phone=stranger_phone, text=f"查一下身份证{family.mother.id_number}的认证状态")
    chatbot_sms_receive(phone=stranger_phone, text="王秀英下次什么时候认证")
    sent = replies(sms_outbox, stranger_phone)
    assert len(sent) == 2
    for text in sent:
        assert _date(family.mother.next_due) not in text
        assert "王秀英" not in text


def test_unknown_number_still_gets_general_answers(db, sms_outbox) -> None:
    chatbot_sms_receive(phone="+8613999999998", text="什么是静默认证")
    [reply] = replies(sms_outbox, "+8613999999998")
    assert "静默认证" in reply


def test_relative_texting_from_their_account_phone_may_ask_about_a_linked_parent(family, sms_outbox) -> None:
    chatbot_sms_receive(phone=family.daughter.phone, text="我爸下次认证是什么时候")
    [reply] = replies(sms_outbox, family.daughter.phone)
    assert _date(family.father.next_due) in reply


def test_reply_is_a_reply_kind_sms_with_a_dedupe_reason(family) -> None:
    chatbot_sms_receive(phone=family.mother.phone, text="你好")
    row = SmsOutbox.objects.get(recipient_bidx=phone_index(family.mother.phone))
    outbound = Message.objects.get(direction="out")
    assert row.kind == "reply"
    assert row.reason == f"chatbot-reply:{outbound.pk}"


def test_buttons_become_numbered_choices_and_a_digit_taps_them(family, sms_outbox) -> None:
    chatbot_sms_receive(phone=family.mother.phone, text="你好")
    [first] = replies(sms_outbox, family.mother.phone)
    assert "回复1：查认证状态" in first
    chatbot_sms_receive(phone=family.mother.phone, text="1")
    second = replies(sms_outbox, family.mother.phone)[1]
    assert _date(family.mother.next_due) in second
    assert Message.objects.filter(direction="in", payload="intent:check_status").exists()


def test_sms_conversation_is_stored_by_phone_with_masked_id(family) -> None:
    chatbot_sms_receive(phone=family.mother.phone, text=f"我的身份证是{family.mother.id_number}")
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.phone) == ("sms", family.mother.phone)
    assert family.mother.id_number not in Message.objects.get(direction="in").text


def test_face_start_over_sms_has_no_app_action_but_says_where_to_go(family, sms_outbox) -> None:
    chatbot_sms_receive(phone=family.mother.phone, text="我要刷脸认证")
    outbound = Message.objects.get(direction="out")
    assert outbound.action is None
    assert "App" in replies(sms_outbox, family.mother.phone)[0]


def test_death_report_over_sms_from_a_linked_relative(family, sms_outbox) -> None:
    phone = family.daughter.phone
    chatbot_sms_receive(phone=phone, text="我爸昨天去世了")
    chatbot_sms_receive(phone=phone, text="在家中")
    assert DeathReport.objects.count() == 0
    chatbot_sms_receive(phone=phone, text="1")  # 1 = confirm and submit
    report = DeathReport.objects.get()
    assert report.pensioner == family.father
    assert report.date_of_death == timezone.localdate() - datetime.timedelta(days=1)
    family.father.refresh_from_db()
    assert family.father.benefit_status == Pensioner.BenefitStatus.SUSPENDED


def test_death_report_from_an_unknown_number_is_not_possible(family) -> None:
    chatbot_sms_receive(phone="+8613999999997", text="王秀英昨天去世了")
    chatbot_sms_receive(phone="+8613999999997", text="确认")
    assert DeathReport.objects.count() == 0
    family.mother.refresh_from_db()
    assert family.mother.benefit_status == Pensioner.BenefitStatus.ACTIVE


def test_unknown_number_can_still_ask_for_a_call_back(db) -> None:
    chatbot_sms_receive(phone="+8613999999996", text="转人工")
    chatbot_sms_receive(phone="+8613999999996", text="好的")
    callback = CallbackRequest.objects.get()
    assert (callback.phone, callback.pensioner, callback.region) == ("+8613999999996", None, None)


def test_inbound_webhook_service_hands_free_text_to_the_chatbot(family, sms_outbox) -> None:
    from notifications.services import sms_inbound_receive

    sms_inbound_receive(
        provider_message_id="SM-test-1", from_phone=family.mother.phone, to_phone="+8610690000", text="认证了吗"
    )
    assert _date(family.mother.next_due) in replies(sms_outbox, family.mother.phone)[0]
