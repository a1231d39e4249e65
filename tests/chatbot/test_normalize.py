"""Normalisation: what old people, their children and speech-to-text actually send."""

from __future__ import annotations

import pytest

from chatbot.nlu.normalize import (
    DATE_MARK,
    ID_MARK,
    MAX_INPUT_CHARS,
    MAX_MODEL_CHARS,
    URL_MARK,
    char_pinyin,
    mask_sensitive,
    normalize,
    pinyin_tokens,
    to_simplified,
)

ID_18 = "360426199101010071"


def test_full_width_digits_and_letters_become_half_width() -> None:
    result = normalize("ＡＰＰ里认证，１２３３３")
    assert result.model_text == "app里认证 12333"


def test_traditional_characters_become_simplified() -> None:
    assert normalize("我媽的養老金認證過了嗎").clean == "我妈的养老金认证过了吗"


def test_mixed_traditional_and_simplified_give_the_same_model_text() -> None:
    assert normalize("我爸的養老金停發了").model_text == normalize("我爸的养老金停发了").model_text


def test_simplified_text_is_left_alone() -> None:
    text = "干部的后面里面只有一个系统"
    assert to_simplified(text) == text


def test_traditional_phrase_exceptions_follow_opencc() -> None:
    # 乾 is 干 in most words but stays 乾 in 乾隆 (OpenCC phrase table).
    assert to_simplified("乾隆年間乾燥") == "乾隆年间干燥"


def test_id_number_is_masked_in_clean_text_and_kept_aside() -> None:
    result = normalize(f"我的身份证{ID_18}认证了吗")
    assert ID_18 not in result.clean
    assert "360***********0071" in result.clean
    assert result.id_numbers == (ID_18,)
    assert ID_MARK in result.model_text.split()


def test_full_width_id_number_with_spaces_is_masked() -> None:
    spoken = "身份证 ３６０４ ２６１９ ９１０１ ０１００ ７１"
    result = normalize(spoken)
    assert "19910101" not in result.clean.replace(" ", "")
    assert result.id_numbers == (ID_18,)


def test_lowercase_x_and_legacy_15_digit_ids_are_masked() -> None:
    text = "老人证号11010119491001001x，旧号110101491001001"
    masked = mask_sensitive(text)
    assert "19491001" not in masked
    assert "491001" not in masked


def test_bank_card_number_is_masked() -> None:
    result = normalize("卡号6222 0212 3456 7890 123")
    assert "3456 7890" not in result.clean


def test_dates_are_found_and_replaced_by_a_placeholder() -> None:
    result = normalize("我爸2026年10月3日去世，三月十五号火化，11月5号办的")
    assert result.dates == ("2026年10月3日", "三月十五号", "11月5号")
    assert result.model_text.count(DATE_MARK) == 3


def test_hotline_number_is_kept_as_a_word() -> None:
    assert "12333" in normalize("12333打不通").model_text


def test_url_is_detected_and_replaced() -> None:
    result = normalize("点击 http://12333-rz.top/a?x=1 否则停发")
    assert result.has_url
    assert URL_MARK in result.model_text.split()
    assert "rz.top" not in result.model_text


def test_html_and_script_are_removed() -> None:
    result = normalize("<script>alert('x')</script><b>你好</b>&lt;br&gt;认证")
    assert "alert" not in result.clean
    assert "<" not in result.clean
    assert result.model_text == "你好 认证"


def test_sql_fragment_is_only_text() -> None:
    result = normalize("'; DROP TABLE accounts_user; -- 认证")
    assert result.model_text == "drop table accounts user 认证"


def test_only_emoji_is_empty() -> None:
    assert normalize("🙏🙏😀👍🏻❤️").is_empty


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", None, 42, "。。。！！", "\u200b\u200d"])
def test_blank_or_non_text_input_is_empty(raw: object) -> None:
    assert normalize(raw).is_empty


def test_very_long_input_is_capped() -> None:
    result = normalize("我的养老金停发了" * 700)  # 5,600 characters
    assert result.truncated
    assert len(result.clean) <= MAX_INPUT_CHARS
    assert len(result.model_text) <= MAX_MODEL_CHARS


def test_dialect_words_are_mapped_to_standard_words() -> None:
    assert normalize("俺娘咋整认证").model_text == "我娘怎么办认证"


def test_frequent_speech_to_text_typos_are_corrected() -> None:
    assert normalize("人连认正失败").model_text == "人脸认证失败"


def test_pinyin_folds_sounds_that_dialect_speakers_merge() -> None:
    # zh/z, sh/s, l/n, eng/en, ing/in are folded; tones are dropped.
    assert char_pinyin("证") == char_pinyin("怎")
    assert char_pinyin("刷") == "sua"
    assert char_pinyin("脸") == char_pinyin("年")
    assert char_pinyin("a") == ""


def test_homophone_typo_shares_pinyin_tokens_with_the_right_word() -> None:
    assert pinyin_tokens(normalize("认证失败").model_text) == pinyin_tokens(normalize("认正湿拜").model_text)


def test_placeholders_survive_as_pinyin_tokens() -> None:
    assert ID_MARK in pinyin_tokens(normalize(f"身份证{ID_18}").model_text)


def test_focus_is_the_question_after_a_story() -> None:
    text = normalize("我家老人八十多了，住在农村。他身体还行。我想帮他认证，可以吗？谢谢！")
    assert text.focus == "我想帮他认证 可以吗"


def test_focus_of_a_one_sentence_message_is_the_whole_message() -> None:
    text = normalize("刷脸一直失败怎么办")
    assert text.focus == text.model_text


def test_tail_is_the_last_clause_after_a_story() -> None:
    text = normalize("我妈的养老金这个月没到账，我查了一下，是不是认证过期了，现在怎么恢复？谢谢")
    assert text.tail == "现在怎么恢复"


def test_a_short_last_clause_takes_the_clause_before_it() -> None:
    text = normalize("我爸卧床好几年了，出不了门，我想帮他认证，可以吗？")
    assert text.tail == "我想帮他认证 可以吗"


def test_tail_of_a_one_clause_message_is_the_whole_message() -> None:
    text = normalize("养老金暂停发放了怎么办")
    assert text.tail == text.model_text


def test_tail_of_a_long_story_is_its_last_clause() -> None:
    text = normalize("我家的情况是这样的，" * 80 + "最后想问到底去哪里办")
    assert text.tail == "最后想问到底去哪里办"


def test_long_story_keeps_its_beginning_and_its_end() -> None:
    text = normalize("标题怎么认证？" + "我家的情况是这样的。" * 80 + "最后想问到底去哪里办")
    assert text.model_text.startswith("标题怎么认证")
    assert text.model_text.endswith("最后想问到底去哪里办")
    assert len(text.model_text) <= MAX_MODEL_CHARS


def test_account_typo_is_mapped() -> None:
    assert "到账" in normalize("养老金没到帐").model_text
