"""Dialogue bugs seen when trying the bot as a new user would (issue 13), one test each."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from casework.models import DeathReport
from chatbot.models import CallbackRequest

pytestmark = pytest.mark.django_db


def test_a_place_given_with_the_date_is_not_asked_again(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸昨天在家里去世了")
    assert chat.state == "death_confirm"
    assert "家中" in chat.text


def test_a_place_given_with_the_date_answer_is_not_asked_again(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸去世了")
    assert chat.state == "death_date"
    chat.say("昨天在县人民医院走的")
    assert chat.state == "death_confirm"
    chat.say("确认")
    report = DeathReport.objects.get()
    assert (report.place, report.date_of_death) == ("县人民医院", timezone.localdate() - datetime.timedelta(days=1))


def test_words_about_home_that_are_not_a_place_still_ask_for_the_place(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("现在家里老人我爸昨天去世了")
    assert chat.state == "death_place"


def test_a_second_confirmation_after_a_finished_report_starts_nothing(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我爸昨天去世了")
    chat.tap("place:home")
    chat.say("确认")
    assert DeathReport.objects.count() == 1
    chat.say("确认")
    assert chat.state == "idle"
    assert not any(payload.startswith("person:") for payload in chat.payloads)
    assert family.mother.name not in chat.text
    assert DeathReport.objects.count() == 1


def test_a_second_yes_after_a_callback_request_starts_nothing(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("转人工")
    chat.say("好的")
    chat.say("好的")
    assert chat.state == "idle"
    assert CallbackRequest.objects.count() == 1


def test_the_office_line_has_no_empty_gap_when_the_office_published_no_address(family, chat_as) -> None:
    township = family.mother.region.parent
    township.service_phone = "0791-86000000"
    township.save()
    chat = chat_as(family.mother_user)
    chat.say("转人工")
    chat.tap("handoff")
    assert "0791-86000000" in chat.text
    assert "  " not in chat.text


def test_a_relative_reading_a_certified_parent_is_told_the_parents_name(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("我妈今年的认证做了没有")
    assert chat.last["intent"] == "check_status"
    assert "王秀英已经完成认证" in chat.text
    assert "您已经完成认证" not in chat.text
