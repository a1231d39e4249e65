"""Date slot parsing, and conversation state across pauses and for users without a phone."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from chatbot.models import CallbackRequest, Conversation
from chatbot.nlu.dates import cn_number, parse_date

TODAY = datetime.date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026年11月3日", datetime.date(2026, 11, 3)),
        ("2026-11-3", datetime.date(2026, 11, 3)),
        ("26年11月3号", datetime.date(2026, 11, 3)),
        ("十一月三号走的", datetime.date(2026, 11, 3)),
        ("二〇二六年十月一日", datetime.date(2026, 10, 1)),
        ("12月1号", datetime.date(2025, 12, 1)),  # no year and in the future: last year
        ("25号", datetime.date(2026, 10, 25)),  # no month and in the future: last month
        ("上个月15号", datetime.date(2026, 10, 15)),
        ("上月十五", datetime.date(2026, 10, 15)),
        ("昨天晚上", datetime.date(2026, 11, 22)),
        ("前天", datetime.date(2026, 11, 21)),
        ("大前天", datetime.date(2026, 11, 20)),
        ("今天早上走的", TODAY),
    ],
)
def test_dates_as_people_say_them(text: str, expected: datetime.date) -> None:
    assert parse_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", ["没有日期", "12333打不通", "手机号多少", "2026年2月30日", ""])
def test_no_date_or_impossible_date_is_none(text: str) -> None:
    assert parse_date(text, today=TODAY) is None


def test_explicit_future_date_is_returned_for_the_caller_to_refuse() -> None:
    assert parse_date("2027年1月1日", today=TODAY) == datetime.date(2027, 1, 1)


@pytest.mark.parametrize(("text", "value"), [("十", 10), ("十二", 12), ("二十", 20), ("三十一", 31), ("廿三", 23)])
def test_chinese_numerals(text: str, value: int) -> None:
    assert cn_number(text) == value


@pytest.mark.django_db
def test_a_pause_starts_a_new_conversation_and_drops_the_flow(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("认证状态查询")
    assert chat.state == "pick_person"
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=31)):
        chat.say("你好")
    assert chat.state == "idle"
    assert Conversation.objects.filter(user=family.daughter).count() == 2


@pytest.mark.django_db
def test_pick_person_can_be_cancelled(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("下次认证时间")
    assert chat.state == "pick_person"
    chat.say("取消")
    assert chat.state == "idle"
    assert chat.last["intent"] == "cancel"


@pytest.mark.django_db
def test_user_without_a_phone_is_asked_for_the_number_to_call(chat_as) -> None:
    from accounts.roles import Role
    from tests.factories import StaffFactory

    chat = chat_as(StaffFactory(roles=[Role.CASEWORKER]))
    chat.say("转人工")
    assert chat.state == "handoff_phone"
    chat.say("12345")
    assert chat.state == "handoff_phone"
    chat.say("请打 139 0791 0002")
    callback = CallbackRequest.objects.get()
    assert callback.phone == "+8613907910002"
    assert chat.state == "idle"


@pytest.mark.django_db
def test_a_question_instead_of_a_slot_answer_leaves_the_flow(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸去世了")
    assert chat.state == "death_date"
    chat.say("在国外怎么认证养老金")
    assert chat.state == "idle"
    assert chat.last["intent"] == "remote_abroad"
