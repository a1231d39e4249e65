"""A pasted text message is judged genuine or a scam in plain words; a second need gets a button."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_pasted_scam_is_called_a_scam_with_the_reason(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say(
        "【社保中心】您的养老金资格认证即将过期，请于24小时内点击 http://rs-renzheng.cc "
        "填写银行卡号和验证码，逾期停发。"
    )
    assert "诈骗" in chat.text
    assert "验证码" in chat.text and "链接" in chat.text
    assert "intent:human" in chat.payloads


def test_a_pasted_genuine_notice_is_called_genuine(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("【人社局】通过大数据比对为您办理了养老待遇资格认证，认证期自动递延12个月，无需再办理。咨询12333。")
    assert "真实的通知" in chat.text
    assert "诈骗" not in chat.text


def test_an_own_question_is_not_taken_for_a_pasted_text(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我今年的认证做了没有")
    assert chat.last["intent"] == "check_status"
    assert "短信" not in chat.text


def test_two_needs_answer_the_main_one_and_offer_the_other_first(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸认证过期了，钱也停了，我能帮他弄吗")
    main = chat.last["intent"]
    assert main in {"proxy_certify", "suspended"}
    other = "suspended" if main == "proxy_certify" else "proxy_certify"
    assert chat.payloads[0] == f"intent:{other}"


def test_a_short_greeting_is_not_a_pasted_text(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("您好")
    assert chat.last["intent"] == "greeting"


def test_a_village_assistant_asking_about_a_death_is_led_to_the_report_screen(family, chat_as) -> None:
    from tests.factories import VillageAssignmentFactory, village_in

    assistant = VillageAssignmentFactory(village=village_in("360102", 41)).user
    chat = chat_as(assistant)
    chat.say("村里有个老人去世了怎么报")
    assert "协办员" in chat.text and "月度报告" in chat.text
    assert "12333" not in chat.text


def test_staff_asking_about_a_death_get_a_pointer_to_the_back_office(family, chat_as) -> None:
    from accounts.roles import Role
    from tests.factories import UserFactory

    chat = chat_as(UserFactory(roles=[Role.CASEWORKER]))
    chat.say("有人去世了怎么报")
    assert "管理后台" in chat.text
