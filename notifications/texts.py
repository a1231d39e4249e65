"""SMS wording. English msgids, Simplified Chinese in locale/zh_Hans; always rendered in Chinese.

Every text starts with the office sign, names the person by a masked name, gives the date that
matters and the one thing to do. Chinese is sent as UCS-2: 70 characters fit one segment and a
concatenated message carries 67 per segment, so every template must stay within 2 segments
(134 characters) with the longest realistic values; tests/notifications/test_texts.py checks it.
"""

from __future__ import annotations

import datetime
import math

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from backend.formats import plain_date

REMINDER = "reminder"
REMINDER_RELATIVE = "reminder_relative"
OVERDUE = "overdue"
OVERDUE_RELATIVE = "overdue_relative"
OVERDUE_ASSISTANT = "overdue_assistant"
SUSPENDED = "suspended"
SUSPENDED_RELATIVE = "suspended_relative"
CERTIFIED = "certified"
CERTIFIED_SUSPENDED = "certified_suspended"
CERTIFIED_SILENT = "certified_silent"
OPT_OUT_ACK = "opt_out_ack"
OPT_IN_ACK = "opt_in_ack"
REPORT_MISSING = "report_missing"

TEMPLATES = {
    REMINDER: _(
        "%(sign)s%(name)s, your pension certification is due by %(due)s. Please certify by face in the app, "
        "or ask family to do it for you. Help: %(hotline)s. Reply TD to stop reminders."
    ),
    REMINDER_RELATIVE: _(
        "%(sign)sYour family member %(name)s must certify for their pension by %(due)s. Please help them "
        "certify by face in the app or do it for them. Help: %(hotline)s. Reply TD to stop reminders."
    ),
    OVERDUE: _(
        "%(sign)s%(name)s, your pension certification expired on %(due)s. Please certify by face in the app "
        "now; if not done by %(pause)s your pension will be paused. Help: %(hotline)s"
    ),
    OVERDUE_RELATIVE: _(
        "%(sign)sThe pension certification of your family member %(name)s expired on %(due)s. Please help "
        "them certify or do it for them; if not done by %(pause)s the pension will be paused. Help: %(hotline)s"
    ),
    OVERDUE_ASSISTANT: _(
        "%(sign)sThe pension certification of %(name)s in %(village)s expired on %(due)s. Please contact them "
        "to certify soon, or certify on site if needed."
    ),
    SUSPENDED: _(
        "%(sign)s%(name)s, your pension is paused because it was not certified by %(due)s. Certify by face in "
        "the app or at the service office and it will be restored. Help: %(hotline)s"
    ),
    SUSPENDED_RELATIVE: _(
        "%(sign)sThe pension of your family member %(name)s is paused because it was not certified in time. "
        "Help them certify or do it for them and it will be restored. Help: %(hotline)s"
    ),
    CERTIFIED: _(
        "%(sign)s%(name)s, your pension certification is complete; nothing else to do. "
        "Next certification is due by %(due)s."
    ),
    # After a silent certification: say how it happened (the person did nothing and may wonder).
    CERTIFIED_SILENT: _(
        "%(sign)s%(name)s, the social insurance office has completed your pension certification by comparing "
        "records from other agencies; you need to do nothing this time. Next certification is due by %(due)s."
    ),
    CERTIFIED_SUSPENDED: _(
        "%(sign)s%(name)s, your certification is recorded. Your pension is paused now and will be restored "
        "once the office has checked. Help: %(hotline)s"
    ),
    OPT_OUT_ACK: _(
        "%(sign)sYou will no longer get reminder messages. Important notices about your pension will still "
        "be sent. Reply DY to get reminders again."
    ),
    OPT_IN_ACK: _("%(sign)sYou will get reminder messages again. Reply TD to stop them."),
    REPORT_MISSING: _(
        "%(sign)sThe %(month)s monthly report of %(village)s was due on %(due)s and has not arrived. Please "
        "file it in the app; if nobody died or moved away, a zero report is enough."
    ),
}

UCS2_SINGLE, UCS2_PART = 70, 67
GSM_SINGLE, GSM_PART = 160, 153
_GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


def sms_segments(text: str) -> int:
    """How many segments the text costs: Chinese forces UCS-2 (70, or 67 per part when split)."""
    if all(char in _GSM_BASIC for char in text):
        single, part, length = GSM_SINGLE, GSM_PART, len(text)
    else:
        single, part = UCS2_SINGLE, UCS2_PART
        length = len(text.encode("utf-16-le")) // 2  # characters outside the BMP take two units
    return 1 if length <= single else math.ceil(length / part)


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰, 欧阳娜娜 → 欧**娜: enough for family to recognise, not to identify."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * min(len(name) - 2, 3) + name[-1]


def render(template: str, **context: object) -> str:
    """The text for ``template``; ``sign`` and ``hotline`` are filled in from settings."""
    values = {"sign": settings.SMS_SIGNATURE, "hotline": settings.SERVICE_HOTLINE} | context
    for key, value in values.items():
        if isinstance(value, datetime.date):
            values[key] = plain_date(value)
    with translation.override(settings.LANGUAGE_CODE):
        return str(TEMPLATES[template]) % values
