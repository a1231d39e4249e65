"""Who a question is about: one of the asker's people, chosen by name, relation word, ID number or
button, never anyone else. A name or ID number in the text can only *select* one of
``ctx.audience.people``; it never looks anybody up."""

from __future__ import annotations

import re
from typing import Literal

from django.utils.translation import gettext as _

from accounts.idnumbers import upgrade_15_to_18
from accounts.models import Pensioner, RelativeLink
from chatbot.flows import fallback
from chatbot.flows.context import Context, State, confident
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.payloads import Payload
from chatbot.replies import (
    Button,
    Reply,
    cancel_button,
    hotline,
    intent_button,
    link_family_button,
    relative_links_action,
)

Mention = Literal["person", "self", "ambiguous", "other", "not_linked", "none"]

_OTHER_PERSON_WORDS = re.compile(r"邻居|朋友|同事|别人|他人|其他人|隔壁|战友|同学|老乡")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_NAME_RE = re.compile(
    rf"(?:^|查|查询|问|问问|帮|看|看看|告诉我|关于|给)([{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    r"(?:的|今年|认证|养老金|退休金|状态|资格|待遇|有没有|是不是|什么时候|啥时候)"
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOT_NAMES = _words(
    "方式 方法 方面 方便 高龄 高兴 金额 白天 万一 马上 龙头 石头 史上 钱包 向前 江西 "
    "江苏 黄山 周末 周期 周岁 孙子 孙女 许多 严重 武汉 余额 程序 任何 于是 常年 田地 "
    "林业 郑州 陆续 钟点 汪汪 "
)

# Relative words → (relationships of the link, sex of the pensioner or None).
_CHILD = (RelativeLink.Relationship.CHILD,)
_IN_LAW = (RelativeLink.Relationship.CHILD_IN_LAW,)
_SPOUSE = (RelativeLink.Relationship.SPOUSE,)
_GRAND = (RelativeLink.Relationship.GRANDCHILD,)
_RELATIVE_WORDS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("老丈人", _IN_LAW, "M"),
    ("丈母娘", _IN_LAW, "F"),
    ("岳父", _IN_LAW, "M"),
    ("岳母", _IN_LAW, "F"),
    ("公公", _IN_LAW, "M"),
    ("婆婆", _IN_LAW, "F"),
    ("爷爷", _GRAND, "M"),
    ("外公", _GRAND, "M"),
    ("姥爷", _GRAND, "M"),
    ("奶奶", _GRAND, "F"),
    ("外婆", _GRAND, "F"),
    ("姥姥", _GRAND, "F"),
    ("老伴", _SPOUSE, None),
    ("爱人", _SPOUSE, None),
    ("老公", _SPOUSE, "M"),
    ("丈夫", _SPOUSE, "M"),
    ("老婆", _SPOUSE, "F"),
    ("妻子", _SPOUSE, "F"),
    ("媳妇", _SPOUSE, "F"),
    ("父亲", _CHILD, "M"),
    ("母亲", _CHILD, "F"),
    ("爸", _CHILD, "M"),
    ("爹", _CHILD, "M"),
    ("妈", _CHILD, "F"),
    ("娘", _CHILD, "F"),
)
_SELF_RE = re.compile(r"^(?:我|我自己|自己|本人|我本人)$|我自己|本人")


def full_id(number: str) -> str:
    """Legacy 15-digit numbers compare as their 18-character form."""
    return upgrade_15_to_18(number) if len(number) == 15 else number


def foreign_id_number(ctx: Context, prediction: Prediction) -> bool:
    """An ID number that is not one of my people's: whatever was asked, say nothing about it."""
    mine = {p.id_number for p in ctx.audience.people}
    return any(full_id(number) not in mine for number in prediction.text.id_numbers)


def mentioned(ctx: Context, prediction: Prediction | None) -> tuple[Mention, list[Pensioner]]:
    """Who the text points at: ("person"/"self", [p]), ("ambiguous", [...]), ("other"/"not_linked"/"none", [])."""
    if prediction is None:
        return "none", []
    people = ctx.audience.people
    for number in prediction.text.id_numbers:
        match = [p for p in people if p.id_number == full_id(number)]
        if not match:
            return "other", []  # someone else's ID number: reveal nothing, not even existence
        return "person", match
    clean = prediction.text.clean
    named = [p for p in people if p.name and len(p.name) >= 2 and p.name in clean]
    if len(named) == 1:
        return "person", named
    relatives = ctx.audience.relatives
    for word, relationships, sex in _RELATIVE_WORDS:
        if word in clean:
            match = [
                p
                for p in relatives
                if ctx.audience.links[p.pk].relationship in relationships and (sex is None or p.sex == sex)
            ]
            if len(match) == 1:
                return "person", match
            if match:
                return "ambiguous", match
            return "not_linked", []
    if _OTHER_PERSON_WORDS.search(clean):
        return "other", []
    for candidate in _NAME_RE.findall(clean):
        if candidate not in _NOT_NAMES and not any(candidate in (p.name or "") for p in people):
            return "other", []
    if _SELF_RE.search(clean) and ctx.audience.own:
        return "self", ctx.audience.own
    return "none", []


def subject(ctx: Context, purpose: str, prediction: Prediction | None, *, ask: bool = True) -> Pensioner | Reply | None:
    """The pensioner a personal question is about, or the reply to send instead (which may ask
    who, leaving the conversation in ``pick_person`` with ``purpose`` to come back to)."""
    kind, matches = mentioned(ctx, prediction)
    if kind == "other":
        return not_yours(ctx)
    if kind == "not_linked":
        return not_linked(ctx)
    if kind in ("person", "self") and len(matches) == 1:
        return matches[0]
    own = ctx.audience.own
    if kind == "none" and len(own) == 1:
        return own[0]
    candidates = matches if kind == "ambiguous" else ctx.audience.people
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        return nobody(ctx) if ask else None
    if not ask:
        return None
    ctx.set(State.PICK_PERSON, purpose=purpose)
    return Reply(_("Who is your question about?"), person_buttons(ctx, candidates))


def person_button(ctx: Context, pensioner: Pensioner) -> Button:
    label = _("Myself") if ctx.audience.is_own(pensioner) else pensioner.name
    return Button(label, Payload.person(pensioner.pk))


def person_buttons(ctx: Context, people: list[Pensioner]) -> list[Button]:
    return [*[person_button(ctx, p) for p in people[:4]], cancel_button()]


def not_yours(ctx: Context) -> Reply:
    return Reply(
        _(
            "To protect personal information I can only answer about you or family members linked to your "
            "account. To help a family member, link them first."
        ),
        [link_family_button(), intent_button(Intent.CHECK_STATUS)],
        None if ctx.sms else relative_links_action(),
    )


def not_linked(ctx: Context) -> Reply:
    return Reply(
        _(
            "This family member is not linked to your account yet. After they confirm the link, "
            "I can check and certify for them."
        ),
        [link_family_button()],
        None if ctx.sms else relative_links_action(),
    )


def nobody(ctx: Context) -> Reply:
    if ctx.sms:
        return Reply(
            _(
                "To protect personal information, SMS answers about a person go only to the phone number "
                "registered with us. Please call %(hotline)s."
            )
            % {"hotline": hotline()},
            [],
        )
    return Reply(
        _(
            "Your account is not linked to a pensioner. Pensioners log in with their registered phone; "
            "family members link the pensioner first."
        ),
        [link_family_button(), intent_button(Intent.HUMAN)],
        relative_links_action(),
    )


def choose(ctx: Context, prediction: Prediction, *, candidates: list[Pensioner]) -> Pensioner | Reply | None:
    """A typed answer to "who is it about?": the person named, the reply to send instead (not
    mine, or ask again), or None when the message is about something else."""
    kind, matches = mentioned(ctx, prediction)
    if kind in ("person", "self") and len(matches) == 1:
        return matches[0]
    if kind == "other":
        ctx.reset()
        return not_yours(ctx)
    if confident(prediction) and prediction.intent not in (ctx.slots.get("purpose"), Intent.OTHER):
        return None
    return fallback.reask(
        ctx, _("Please tap the name of the person, or say 'cancel'."), person_buttons(ctx, candidates)
    )
