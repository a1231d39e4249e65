"""Intent understanding: rules for fixed phrases, the classifier for everything else.

The held-out phrasings below appear in neither train.jsonl nor dev.jsonl (a test checks that),
so these tests measure generalisation, not memory.
"""

from __future__ import annotations

import json

import pytest

from chatbot.nlu.classifier import DATA_DIR, IntentClassifier, default_examples, get_classifier, load_examples
from chatbot.nlu.intents import INTENTS
from chatbot.nlu.normalize import normalize
from chatbot.nlu.rules import rule_intent

HELD_OUT = [
    ("俺家老太太的认证今年弄完了没有", "check_status"),
    ("下一趟认证得等到几月", "next_due"),
    ("住得偏没有智能手机，资格认证去哪儿办理", "how_to_certify"),
    ("拍脸拍了七八次都显示比对未通过", "face_failed"),
    ("我外婆手机不会用，我做外孙的能替她认证不", "proxy_certify"),
    ("老母亲昨夜里病故了，养老金那边我们该办啥", "report_death"),
    ("养老钱连着两个月没打到卡上，是停了吗", "suspended"),
    ("一条短信讲我通过数据比对认证好了，我啥也没干呀", "silent_cert"),
    ("眼下我住在新西兰儿子家，认证该咋办", "remote_abroad"),
    ("这个说不清楚，请安排社保的人打我电话", "human"),
    ("认證失敗好幾次了，刷臉總說不是本人", "face_failed"),
    ("我老汉前天走了 养老金咋个处理", "report_death"),
    ("ren zheng 那个刷连一直失败", "face_failed"),
]


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return get_classifier()


@pytest.mark.parametrize(("text", "intent"), HELD_OUT)
def test_held_out_phrasing_is_understood(classifier: IntentClassifier, text: str, intent: str) -> None:
    assert classifier.predict(text).intent == intent


def test_held_out_phrasings_are_not_in_the_corpus() -> None:
    corpus = {normalize(t).model_text for t, _ in default_examples()}
    corpus |= {normalize(t).model_text for t, _ in load_examples(DATA_DIR / "dev.jsonl")}
    assert not [t for t, _ in HELD_OUT if normalize(t).model_text in corpus]


def test_traditional_and_simplified_get_the_same_prediction(classifier: IntentClassifier) -> None:
    a = classifier.predict("我媽的養老金這個月沒到賬")
    b = classifier.predict("我妈的养老金这个月没到账")
    assert (a.intent, a.confidence) == (b.intent, b.confidence) == ("suspended", b.confidence)


def test_id_number_value_does_not_change_the_prediction(classifier: IntentClassifier) -> None:
    a = classifier.predict("身份证360426199101010071，今年认证了吗")
    b = classifier.predict("身份证11010119491001001X，今年认证了吗")
    assert a.intent == b.intent == "check_status"
    assert a.confidence == b.confidence


def test_prediction_has_a_confidence_and_a_ranking(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("刷脸一直不通过")
    assert prediction.source == "model"
    assert 0.0 < prediction.confidence <= 1.0
    assert prediction.ranking[0] == (prediction.intent, prediction.confidence)
    assert len(prediction.ranking) == 3
    assert all(isinstance(intent, str) for intent, _ in prediction.ranking)


def test_gibberish_is_other_not_a_service_intent(classifier: IntentClassifier) -> None:
    assert classifier.predict("qwpoeiruty zxmcnv").intent == "other"


@pytest.mark.parametrize("raw", ["", "🙏🙏🙏", "<p></p>", "   ", "？？？"])
def test_empty_input_is_other_with_zero_confidence(classifier: IntentClassifier, raw: str) -> None:
    prediction = classifier.predict(raw)
    assert (prediction.intent, prediction.confidence, prediction.source) == ("other", 0.0, "empty")


def test_five_thousand_characters_are_handled(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("我爸爸去世了养老金怎么办" * 420)
    assert prediction.intent == "report_death"
    assert prediction.text.truncated


def test_html_and_sql_fragments_do_not_break_prediction(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("<img src=x onerror=alert(1)>养老金停发了'; DROP TABLE chatbot_message;--")
    assert prediction.intent == "suspended"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("取消", "cancel"),
        ("算了算了", "cancel"),
        ("那就算了吧", "cancel"),
        ("谢谢谢谢", "thanks"),
        ("好的呀", "thanks"),
        ("您好", "greeting"),
        ("在吗？", "greeting"),
        ("转人工！", "human"),
    ],
)
def test_short_fixed_phrases_are_decided_by_rule(classifier: IntentClassifier, text: str, intent: str) -> None:
    prediction = classifier.predict(text)
    assert (prediction.intent, prediction.source, prediction.confidence) == (intent, "rule", 1.0)


def test_longer_messages_are_left_to_the_classifier() -> None:
    assert rule_intent("谢谢 那我下次什么时候认证") is None


def test_thanks_followed_by_a_question_is_the_question(classifier: IntentClassifier) -> None:
    assert classifier.predict("谢谢，那我下次认证是什么时候").intent == "next_due"


def test_corpus_has_at_least_40_examples_per_intent_and_dev_15() -> None:
    for name, minimum in (("train.jsonl", 40), ("dev.jsonl", 15)):
        counts = dict.fromkeys(INTENTS, 0)
        for _, intent in load_examples(DATA_DIR / name):
            counts[intent] += 1
        assert min(counts.values()) >= minimum, (name, counts)


def test_dev_set_does_not_repeat_training_lines() -> None:
    train = {normalize(t).model_text for t, _ in default_examples()}
    repeated = [t for t, _ in load_examples(DATA_DIR / "dev.jsonl") if normalize(t).model_text in train]
    assert repeated == []


def test_unknown_intent_in_training_data_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"text": "你好", "intent": "smalltalk"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="smalltalk"):
        IntentClassifier(load_examples(path))


# Real-question shapes (written for these tests, not taken from any collected question).
SHAPES = [
    ("我今年七十了，前些年从机械厂退休。前两天听楼下说要认证，我也不懂。请问在手机上怎么认证？", "how_to_certify"),
    ("我家老人八十多了，眼睛花，手也抖，自己弄不了手机。我想帮他在我手机上认证，可以吗？", "proxy_certify"),
    ("退休人员异地居住资格认证办法", "remote_abroad"),
    ("认证的时候页面一直弹“人脸核验未通过”，换了光线也不行", "face_failed"),
    ("老人家连着三个月没收到养老钱了，到底咋回事", "suspended"),
]


@pytest.mark.parametrize(("text", "intent"), SHAPES)
def test_real_question_shapes_are_understood(classifier: IntentClassifier, text: str, intent: str) -> None:
    assert classifier.predict(text).intent == intent


def test_need_in_the_last_sentence_outweighs_the_story(classifier: IntentClassifier) -> None:
    story = "我妈退休二十年了，每个月按时领钱，身体也还行，就是不太会用手机。"
    assert classifier.predict(story + "她要是去世了，家里人要办什么手续？").intent == "report_death"
    assert classifier.predict(story + "下一次认证是什么时候？").intent == "next_due"


def test_pasted_scam_notice_is_other_by_rule(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("【社保中心】您的待遇认证已失效，请在24小时内回复银行卡号和验证码，否则停发养老金")
    assert (prediction.intent, prediction.source) == ("other", "rule")


def test_pasted_genuine_notice_is_silent_cert_by_rule(classifier: IntentClassifier) -> None:
    prediction = classifier.predict("【某市人社】经大数据比对，您本期认证已完成，认证期顺延一年，无需本人操作。")
    assert (prediction.intent, prediction.source) == ("silent_cert", "rule")


def test_shapes_corpus_is_what_compose_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("compose", DATA_DIR / "compose.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    OUT, compose = module.OUT, module.compose
    on_disk = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert on_disk == compose()


def test_fast_probabilities_equal_scikit_learns(classifier: IntentClassifier) -> None:
    texts = [normalize(text) for text, _ in HELD_OUT]
    features = classifier._features(texts)
    fast = classifier._predict_proba(features)
    assert classifier._coef_rows is not None  # the fast path is the one served
    assert fast == pytest.approx(classifier._model.predict_proba(features), abs=1e-9)


def test_clauses_predicted_in_one_batch_match_one_by_one(classifier: IntentClassifier) -> None:
    texts = [text for text, _ in HELD_OUT]
    batch = classifier.predict_many(texts)
    assert [(p.intent, p.confidence, p.source) for p in batch] == [
        (p.intent, p.confidence, p.source) for p in map(classifier.predict, texts)
    ]
