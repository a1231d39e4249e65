"""Dates as people say them: "2026年11月3日", "11月3号", "三号", "十月十二号", "昨天", "前天晚上".

Used for slot filling (the date of death). Relative and year-less dates resolve to the most
recent such day not after ``today``: nobody reports a death that has not happened yet.
"""

from __future__ import annotations

import datetime
import re

_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "〇零一二三四五六七八九十两廿"
_NUM = rf"(?:[0-9]{{1,4}}|[{_CN}]{{1,4}})"

_RELATIVE_DAYS = (
    ("大前天", 3),
    ("前天", 2),
    ("前日", 2),
    ("昨天", 1),
    ("昨日", 1),
    ("昨晚", 1),
    ("今天", 0),
    ("今日", 0),
)
_RELATIVE_DAYS += (("今早", 0), ("今晚", 0), ("今天早上", 0), ("刚刚", 0), ("刚才", 0))

_YMD_RE = re.compile(rf"({_NUM})\s*[年./-]\s*({_NUM})\s*[月./-]\s*({_NUM})\s*[日号]?")
_MD_RE = re.compile(rf"(上个?月|这个?月|本月)?\s*({_NUM})\s*月(?:份)?\s*({_NUM})\s*[日号]?")
_D_RE = re.compile(rf"(上个?月|这个?月|本月)?\s*({_NUM})\s*[日号](?![码])")
_D_AFTER_MONTH_RE = re.compile(rf"(上个?月|这个?月|本月)\s*({_NUM})(?![0-9月年])")


def cn_number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 9999: "12", "十二", "廿三", "二〇二六", "三十一"."""
    if text.isdigit():
        return int(text)
    if all(ch in _DIGITS for ch in text):  # digit by digit: 二〇二六
        return int("".join(str(_DIGITS[ch]) for ch in text))
    if text.startswith("廿"):
        rest = text[1:]
        return 20 + (_DIGITS.get(rest, -100) if rest else 0) if (not rest or rest in _DIGITS) else None
    if "十" in text:
        tens_part, _, ones_part = text.partition("十")
        tens = _DIGITS.get(tens_part, -1) if tens_part else 1
        ones = _DIGITS.get(ones_part, -1) if ones_part else 0
        if tens < 0 or ones < 0:
            return None
        return tens * 10 + ones
    return None


def _safe_date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _month_shift(today: datetime.date, months_back: int) -> tuple[int, int]:
    index = today.year * 12 + today.month - 1 - months_back
    return index // 12, index % 12 + 1


def _prefix_month(prefix: str | None, today: datetime.date) -> tuple[int, int] | None:
    if not prefix:
        return None
    if prefix.startswith("上"):
        return _month_shift(today, 1)
    return today.year, today.month


def parse_date(text: str, *, today: datetime.date) -> datetime.date | None:
    """The first date in ``text``, or None. Future dates are returned as they are (the caller
    rejects them with a clear message) except when the year or month was left out."""
    for word, days in sorted(_RELATIVE_DAYS, key=lambda item: -len(item[0])):
        if word in text:
            return today - datetime.timedelta(days=days)

    match = _YMD_RE.search(text)
    if match:
        year, month, day = (cn_number(g) for g in match.groups())
        if year is not None and month is not None and day is not None:
            if year < 100:
                year += 2000 if year <= today.year % 100 else 1900
            return _safe_date(year, month, day)

    match = _MD_RE.search(text)
    if match:
        month, day = cn_number(match.group(2)), cn_number(match.group(3))
        if month is None or day is None:
            return None
        candidate = _safe_date(today.year, month, day)
        if candidate is not None and candidate > today:
            candidate = _safe_date(today.year - 1, month, day)
        return candidate

    match = _D_RE.search(text) or _D_AFTER_MONTH_RE.search(text)
    if match:
        day = cn_number(match.group(2))
        if day is None:
            return None
        fixed = _prefix_month(match.group(1), today)
        if fixed is not None:
            return _safe_date(fixed[0], fixed[1], day)
        candidate = _safe_date(today.year, today.month, day)
        if candidate is None or candidate > today:
            year, month = _month_shift(today, 1)
            candidate = _safe_date(year, month, day)
        return candidate
    return None
