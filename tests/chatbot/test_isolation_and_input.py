"""Nobody else's data, whatever the wording; and bad input never breaks the conversation."""

from __future__ import annotations

import pytest

from accounts.models import AuditEvent
from chatbot.models import Message
from tests.factories import make_id_number

pytestmark = pytest.mark.django_db


def _date(day) -> str:  # type: ignore[no-untyped-def]
    return f"{day.year}年{day.month}月{day.day}日"


def _stranger_leaks(chat, stranger) -> list[str]:  # type: ignore[no-untyped-def]
    body = str(chat.last)
    found = []
    if _date(stranger.next_due) in body:
        found.append("next_due")
    if stranger.id_number in body or stranger.id_number[-4:] in chat.text:
        found.append("id")
    if chat.action and chat.action.get("pensioner_id") == stranger.pk:
        found.append("action")
    return found


@pytest.mark.parametrize(
    "template",
    [
        "{name}的认证状态",
        "帮我查一下{name}今年认证了没有",
        "{name}下次什么时候认证",
        "我邻居{name}的养老金为什么停了",
        "查询身份证{id_number}的认证情况",
        "{id_number}下次认证时间",
        "身份证号{id_number} 养老金停了吗",
        "我是{name}的儿子，帮她刷脸认证",
    ],
)
def test_asking_about_someone_else_reveals_nothing(family, chat_as, template) -> None:
    stranger = family.stranger
    for user in (family.mother_user, family.daughter):
        chat = chat_as(user)
        chat.say(template.format(name=stranger.name, id_number=stranger.id_number))
        assert _stranger_leaks(chat, stranger) == []
        if chat.state == "pick_person":  # a relative may be asked which linked person: still nobody else
            assert f"person:{stranger.pk}" not in chat.payloads
    assert not AuditEvent.objects.filter(pensioner_id_ref=stranger.pk).exists()


def test_answer_is_the_same_whether_the_id_number_exists_or_not(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say(f"查询身份证{family.stranger.id_number}的认证情况")
    existing = (chat.text, chat.payloads, chat.action)
    chat.say(f"查询身份证{make_id_number(area='110101')}的认证情况")
    assert (chat.text, chat.payloads, chat.action) == existing


def test_person_button_with_someone_elses_id_is_refused(family, chat_as) -> None:
    chat = chat_as(family.daughter)
    chat.say("认证状态查询")
    assert chat.state == "pick_person"
    chat.say("张桂兰", payload=f"person:{family.stranger.pk}")
    assert _stranger_leaks(chat, family.stranger) == []
    assert family.stranger.name not in chat.text


def test_unapproved_link_gives_no_access(family, chat_as) -> None:
    from accounts.models import RelativeLink

    RelativeLink.objects.filter(relative=family.daughter, pensioner=family.father).update(status="pending")
    chat = chat_as(family.daughter)
    chat.say("我爸下次什么时候认证")
    assert _date(family.father.next_due) not in chat.text
    assert family.father.name not in chat.text


def test_my_own_id_number_selects_me(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say(f"身份证{family.mother.id_number}下次什么时候认证")
    assert _date(family.mother.next_due) in chat.text


def test_history_never_shows_other_peoples_messages(family, chat_as) -> None:
    chat_as(family.daughter).say("我爸下次什么时候认证")
    response = chat_as(family.mother_user).client.get("/api/v1/chatbot/messages")
    assert response.json()["count"] == 0


# --- bad input ----------------------------------------------------------------------------------


def test_empty_message_is_a_clear_400(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    response = chat.client.post("/api/v1/chatbot/messages", {"text": "   "}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "empty_message"
    assert response.json()["message"] == "请输入您的问题，或点一个按钮。"
    assert Message.objects.count() == 0


def test_five_thousand_characters_are_refused_clearly(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    response = chat.client.post("/api/v1/chatbot/messages", {"text": "认证" * 2500}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["fields"]["text"] == ["消息太长了，请控制在2000字以内。"]


def test_long_but_allowed_message_is_answered(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我的养老金停了怎么办" * 190)  # 1,900 characters
    assert chat.last["intent"] == "suspended"


def test_only_emoji_asks_for_words(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("🙏🙏😭😭")
    assert chat.last["intent"] == "other"
    assert chat.last["confidence"] == 0.0
    assert chat.text == "我没看懂，请用文字说说您的问题。"


def test_html_is_stripped_from_storage_and_never_echoed(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("<script>alert('x')</script><b>我的认证</b>通过了吗")
    stored = Message.objects.get(direction="in").text
    assert "<" not in stored
    assert "alert" not in stored
    assert "<" not in chat.text


def test_sql_fragment_is_harmless_text(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("'; DROP TABLE chatbot_message; -- 认证了吗")
    assert Message.objects.filter(direction="in").count() == 1
    assert chat.last["intent"] in {"check_status", "other"}


def test_mixed_traditional_and_simplified_is_understood(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("我的養老金认證什麼時候到期")
    assert chat.last["intent"] == "next_due"
    assert _date(family.mother.next_due) in chat.text


def test_unknown_button_payload_is_treated_as_text(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    chat.say("下次什么时候认证", payload="drop:table")
    assert chat.last["intent"] == "next_due"


def test_not_logged_in_is_401(api_client) -> None:
    response = api_client.post("/api/v1/chatbot/messages", {"text": "你好"}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_non_json_text_type_is_a_400(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    response = chat.client.post("/api/v1/chatbot/messages", {"text": ["a", "b"]}, format="json")
    assert response.status_code == 400


def test_bad_request_id_is_a_400(family, chat_as) -> None:
    chat = chat_as(family.mother_user)
    response = chat.client.post("/api/v1/chatbot/messages", {"text": "你好", "request_id": "x"}, format="json")
    assert response.status_code == 400
    assert "request_id" in response.json()["fields"]


def test_a_crash_in_the_dialogue_still_answers_and_keeps_the_message(family, chat_as, monkeypatch) -> None:
    from chatbot.dialogue import Dialogue

    def boom(self, *, text, payload=""):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    monkeypatch.setattr(Dialogue, "handle", boom)
    chat = chat_as(family.mother_user)
    chat.say("认证了吗")
    assert "12333" in chat.text
    assert Message.objects.filter(direction="in", text="认证了吗").exists()
