"""How dates read in everything people see (app messages, SMS, chatbot), whatever the request's language."""

from __future__ import annotations

import datetime


def plain_date(day: datetime.date | None) -> str:
    """2027年3月19日: the form older people read on letters and bank slips (no zero padding, no dashes)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
