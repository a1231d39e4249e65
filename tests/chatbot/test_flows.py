"""Every guided flow end to end through POST /api/v1/chatbot/messages, with cancel and confirmation."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from accounts.models import AuditEvent, Pensioner
from casework.models import Case, DeathReport
from chatbot.models import CallbackRequest, Conversation, Message

pytestmark = pytest.mark.django_db


def test_greeting_offers_the_main_choices(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("你好")
    assert chat.last["intent"] == "greeting"
    assert chat.payloads == ["intent:check_status", "intent:how_to_certify", "intent:human"]


def test_pensioner_status_comes_from_the_registry(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我今年的认证做了没有")
    assert chat.last["intent"] == "check_status"
    due = family.mother.next_due
    assert f"{due.year}年{due.month}月{due.day}日" in chat.text
    assert chat.state == "idle"


def test_next_due_for_the_pensioner(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我下次什么时候要认证")
    assert chat.last["intent"] == "next_due"
    assert "200" in chat.text


def test_relative_naming_a_parent_gets_that_parent(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸下次认证是什么时候")
    due = family.father.next_due
    assert f"{due.year}年{due.month}月{due.day}日" in chat.text
    assert family.father.name in chat.text


def test_relative_without_naming_is_asked_who_then_answered(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("认证状态查询")
    assert chat.state == "pick_person"
    assert set(chat.payloads) == {f"person:{family.mother.pk}", f"person:{family.father.pk}", "cancel"}
    chat.tap(f"person:{family.father.pk}")
    assert chat.state == "idle"
    assert family.father.name in chat.text


def test_reading_a_relative_is_audited(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("帮我查一下我妈的认证状态")
    event = AuditEvent.objects.get(action="chatbot.status.read")
    assert (event.actor, event.pensioner_id_ref) == (family.daughter, family.mother.pk)


def test_due_soon_offers_the_face_certification_action(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我父亲的认证状态")
    assert chat.action == {"type": "start_face_certification", "pensioner_id": family.father.pk, "proxy": True}


def test_start_face_certification_returns_the_app_action(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我要刷脸认证")
    assert chat.action == {"type": "start_face_certification", "pensioner_id": family.mother.pk, "proxy": False}


def test_face_button_for_someone_not_mine_reveals_nothing(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("刷脸", payload=f"face:{family.stranger.pk}")
    assert chat.action != {"type": "start_face_certification", "pensioner_id": family.stranger.pk, "proxy": True}
    assert family.stranger.name not in chat.text


def test_proxy_guidance_lists_the_linked_parents(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我可以帮我妈认证吗")
    assert chat.last["intent"] == "proxy_certify"
    assert f"face:{family.mother.pk}" in chat.payloads
    chat.tap(f"face:{family.mother.pk}")
    assert chat.action["pensioner_id"] == family.mother.pk
    assert chat.action["proxy"] is True


def test_proxy_guidance_without_links_opens_the_link_screen(db, chat_as) -> None:
    from tests.factories import UserFactory

    chat = chat_as(UserFactory(roles=["relative"]))
    chat.say("子女能代替父母认证吗")
    assert chat.action == {"type": "open", "screen": "relative_links"}


def test_face_failed_gives_tips_and_a_way_out(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("刷脸一直不通过，老说不是本人")
    assert chat.last["intent"] == "face_failed"
    assert "handoff" in chat.payloads


# --- death report -------------------------------------------------------------------------------


def test_death_report_end_to_end_uses_the_death_report_service(family, chat_as, sms_outbox) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸昨天去世了")
    assert chat.last["intent"] == "report_death"
    assert chat.state == "death_place"  # person and date were in the first message
    chat.tap("place:hospital")
    assert chat.state == "death_confirm"
    assert family.father.name in chat.text
    assert DeathReport.objects.count() == 0  # nothing before the explicit confirmation
    chat.tap("confirm")
    report = DeathReport.objects.get()
    assert report.pensioner == family.father
    assert report.reporter == family.daughter
    assert report.date_of_death == timezone.localdate() - datetime.timedelta(days=1)
    assert report.case.category == Case.Category.SUSPECTED_DEATH
    family.father.refresh_from_db()
    assert family.father.benefit_status == Pensioner.BenefitStatus.SUSPENDED
    assert str(report.case_id) in chat.text
    assert chat.state == "idle"


def test_death_report_asks_who_when_two_parents_are_linked(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("家里老人过世了要办什么手续")
    assert chat.state == "death_person"
    chat.tap(f"person:{family.mother.pk}")
    assert chat.state == "death_date"
    chat.say("2026年11月3日" if timezone.localdate() >= datetime.date(2026, 11, 3) else "昨天")
    assert chat.state == "death_place"
    chat.say("县人民医院")
    assert chat.state == "death_confirm"
    assert "县人民医院" in chat.text
    chat.say("确认")
    assert DeathReport.objects.get().place == "县人民医院"


def test_death_report_can_be_cancelled_at_the_confirmation(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我妈前天走了")
    chat.say("在家里")
    assert chat.state == "death_confirm"
    chat.tap("cancel")
    assert chat.state == "idle"
    assert DeathReport.objects.count() == 0
    family.mother.refresh_from_db()
    assert family.mother.benefit_status == Pensioner.BenefitStatus.ACTIVE


def test_death_report_can_be_cancelled_by_typing_at_any_step(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("老人去世了怎么报")
    assert chat.state == "death_person"
    chat.say("算了不报了")
    assert chat.state == "idle"
    assert DeathReport.objects.count() == 0


def test_death_report_date_in_the_future_is_asked_again(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸去世了")
    assert chat.state == "death_date"
    next_year = timezone.localdate().year + 1
    chat.say(f"{next_year}年1月1日")
    assert chat.state == "death_date"
    chat.tap("date:yesterday")
    assert chat.state == "death_place"


def test_death_report_confirmation_twice_creates_one_report(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸昨天去世了")
    chat.tap("place:home")
    confirm_request = "0b9c2f4e-1d8a-4c3b-9e2f-5a6b7c8d9e0f"
    first = chat.say("确认提交", "confirm", request_id=confirm_request)
    again = chat.say("确认提交", "confirm", request_id=confirm_request)
    assert first["message_id"] == again["message_id"]
    assert DeathReport.objects.count() == 1


def test_a_pensioner_alone_cannot_report_a_death_online(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我老伴去世了养老金怎么办")
    assert chat.state == "idle"
    assert "handoff" in chat.payloads
    assert DeathReport.objects.count() == 0


# --- suspended ----------------------------------------------------------------------------------


def test_suspended_for_overdue_explains_and_offers_face_certification(family, chat_as) -> None:
    Pensioner.objects.filter(pk=family.mother.pk).update(
        benefit_status="suspended",
        suspension_reason="overdue",
        next_due=timezone.localdate() - datetime.timedelta(days=90),
    )
    chat = chat_as(family.mother_user)
    chat.say("我的养老金为什么停了")
    assert chat.last["intent"] == "suspended"
    assert chat.action == {"type": "start_face_certification", "pensioner_id": family.mother.pk, "proxy": False}


def test_not_suspended_says_so_and_offers_a_person(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("这个月养老金没到账")
    assert chat.last["intent"] == "suspended"
    assert chat.action is None
    assert "handoff" in chat.payloads


# --- hand-off -----------------------------------------------------------------------------------


def test_handoff_with_confirmation_records_a_callback_request(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我刷脸一直失败")
    chat.say("转人工")
    assert chat.state == "handoff_confirm"
    assert CallbackRequest.objects.count() == 0
    chat.say("好的")
    callback = CallbackRequest.objects.get()
    assert callback.phone == family.mother_user.phone
    assert callback.pensioner == family.mother
    assert callback.region == family.mother.region
    assert "刷脸" in callback.summary
    assert "12333" in chat.text


def test_handoff_can_be_cancelled(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("转人工")
    chat.tap("cancel")
    assert CallbackRequest.objects.count() == 0
    assert chat.state == "idle"


def test_handoff_names_the_office_of_the_region(family, chat_as) -> None:
    village = family.mother.region
    township = village.parent
    township.service_address = "幸福路1号"
    township.service_phone = "0791-86000000"
    township.save()
    chat = chat_as(family.mother_user)
    chat.say("转人工")
    chat.tap("handoff")
    assert "幸福路1号" in chat.text
    assert "0791-86000000" in chat.text


def test_second_handoff_within_a_day_is_not_duplicated(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("转人工")
    chat.tap("handoff")
    chat.say("转人工")
    chat.tap("handoff")
    assert CallbackRequest.objects.count() == 1


# --- misunderstanding ---------------------------------------------------------------------------


def test_low_confidence_asks_once_with_buttons_then_offers_a_person(family, chat_as, settings) -> None:
    settings.CHATBOT_CONFIDENCE_THRESHOLD = 1.01  # every model answer is "unsure"
    chat = chat_as(family.mother_user)
    chat.say("那个事情怎么弄")
    assert chat.state == "clarify"
    assert chat.payloads[-1] == "none"
    assert all(p.startswith("intent:") for p in chat.payloads[:-1])
    chat.say("就是那个")
    assert chat.state == "offer_human"
    assert chat.payloads[0] == "handoff"
    assert chat.action == {"type": "call", "phone": "12333"}


def test_clarifying_button_answers_the_chosen_question(family, chat_as, settings) -> None:
    settings.CHATBOT_CONFIDENCE_THRESHOLD = 1.01
    chat = chat_as(family.mother_user)
    chat.say("下次认证什么时候到期")
    assert "intent:next_due" in chat.payloads
    chat.tap("intent:next_due")
    assert chat.state == "idle"
    assert chat.last["intent"] == "next_due"


def test_none_of_these_offers_a_person(family, chat_as, settings) -> None:
    settings.CHATBOT_CONFIDENCE_THRESHOLD = 1.01
    chat = chat_as(family.mother_user)
    chat.say("嗯那个")
    chat.tap("none")
    assert chat.state == "offer_human"


def test_cancel_outside_a_flow_is_polite(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("取消")
    assert chat.last["intent"] == "cancel"
    assert chat.state == "idle"


def test_scam_sms_pasted_gets_a_warning(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("【社保中心】您的养老金资格认证即将过期，请点击 http://12333rz.cc 认证，否则停发")
    assert chat.action == {"type": "call", "phone": "12333"}
    assert "http" not in chat.text


def test_messages_are_stored_with_intent_confidence_and_masked_id(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say(f"我的身份证{family.mother.id_number}，认证了吗")
    inbound = Message.objects.get(direction="in")
    assert family.mother.id_number not in inbound.text
    assert inbound.text.startswith("我的身份证")
    assert inbound.intent == "check_status"
    assert 0 < inbound.confidence <= 1
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.user) == ("app", family.mother_user)


def test_history_is_paginated_newest_first_and_only_mine(family, chat_as) -> None:
    mine = chat_as(family.mother_user)
    mine.say("你好")
    mine.say("谢谢")
    chat_as(family.daughter).say("你好")
    response = mine.client.get("/api/v1/chatbot/messages?page_size=3")
    body = response.json()
    assert response.status_code == 200
    assert body["count"] == 4
    assert [m["direction"] for m in body["results"]] == ["out", "in", "out"]
    assert body["results"][1]["text"] == "谢谢"
