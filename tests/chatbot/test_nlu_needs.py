"""Two needs in one message: the main one, and a second one the dialogue can offer as a button."""

from __future__ import annotations

import pytest

from chatbot.nlu.classifier import IntentClassifier, get_classifier
from chatbot.nlu.needs import SECOND_NEED_INTENTS, detect_needs


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return get_classifier()


def test_proxy_question_with_stopped_money_offers_suspended(classifier: IntentClassifier) -> None:
    needs = detect_needs("我爸认证过期了，钱也停了，我能帮他弄吗", classifier)
    assert {needs.intent, needs.second} == {"proxy_certify", "suspended"}


def test_face_failure_plus_next_due_question(classifier: IntentClassifier) -> None:
    needs = detect_needs("我妈刷脸一直失败，另外想问下一次认证是什么时候", classifier)
    assert {needs.intent, needs.second} == {"face_failed", "next_due"}


def test_main_need_is_the_classifier_prediction(classifier: IntentClassifier) -> None:
    text = "我住在加拿大，这个月养老金也没到账"
    assert detect_needs(text, classifier).main.intent == classifier.predict(text).intent


def test_single_clear_need_has_no_second(classifier: IntentClassifier) -> None:
    needs = detect_needs("刷脸认证一直不通过怎么办", classifier)
    assert (needs.intent, needs.second) == ("face_failed", None)


@pytest.mark.parametrize("text", ["你好", "取消", "谢谢"])
def test_small_talk_never_gets_a_second_need(classifier: IntentClassifier, text: str) -> None:
    assert detect_needs(text, classifier).second is None


def test_second_need_is_never_small_talk_or_other(classifier: IntentClassifier) -> None:
    needs = detect_needs("谢谢你，我爸去世了，丧葬费怎么领，养老金今年涨了多少", classifier)
    assert needs.second is None or needs.second in SECOND_NEED_INTENTS
    assert needs.second != needs.intent
