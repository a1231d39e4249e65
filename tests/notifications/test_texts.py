"""SMS wording: Chinese, signed, masked, and within two UCS-2 segments with the longest values."""

from __future__ import annotations

import datetime
import re

import pytest

from notifications import texts

LONGEST = {
    "name": texts.mask_name("爱新觉罗溥仪仪"),  # masked names are at most 5 characters
    "due": datetime.date(2026, 12, 31),  # "2026年12月31日" is the longest date
    "pause": datetime.date(2027, 12, 31),
    "village": "某某街道某某社区居民委员会某某"[:12],  # the planner cuts village names to 12
    "month": "2026年12月",
}


@pytest.mark.parametrize("template", sorted(texts.TEMPLATES))
def test_every_template_fits_in_two_segments(template, settings):
    settings.SERVICE_HOTLINE = "0791-12345678"  # a long local hotline
    text = texts.render(template, **LONGEST)
    assert texts.sms_segments(text) <= 2, (len(text), text)


@pytest.mark.parametrize("template", sorted(texts.TEMPLATES))
def test_every_template_is_in_chinese_and_starts_with_the_office_sign(template):
    text = texts.render(template, **LONGEST)
    assert text.startswith("【人社局】")
    assert re.search(r"[\u4e00-\u9fff]{10}", text)  # real Chinese sentences
    assert not re.search(r"[a-z]{3,}", text)  # and no English words left untranslated


def test_a_reminder_names_the_masked_person_the_date_and_the_one_thing_to_do():
    text = texts.render(texts.REMINDER, name=texts.mask_name("王秀英"), due=datetime.date(2027, 2, 28))
    assert "王*英" in text
    assert "秀" not in text
    assert "2027年2月28日" in text
    assert "刷脸认证" in text
    assert "回复TD退订" in text


def test_segments_count_ucs2_as_70_then_67_per_part():
    assert texts.sms_segments("认" * 70) == 1
    assert texts.sms_segments("认" * 71) == 2
    assert texts.sms_segments("认" * 134) == 2
    assert texts.sms_segments("认" * 135) == 3


def test_segments_count_plain_ascii_as_gsm():
    assert texts.sms_segments("a" * 160) == 1
    assert texts.sms_segments("a" * 161) == 2


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张*丰"), ("欧阳娜娜", "欧**娜"), ("爱新觉罗溥仪仪", "爱***仪"), ("王", "王")],
)
def test_names_are_masked(name, masked):
    assert texts.mask_name(name) == masked
