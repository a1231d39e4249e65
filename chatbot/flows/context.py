"""What every flow handler works with: who is asking, the conversation's state, and the reads.

A flow handler is a plain function ``(ctx, ...) -> Reply``. It may change the conversation's state
(``ctx.set`` / ``ctx.reset``) and read through the selectors, but never writes: a write is
returned as a command (see :mod:`chatbot.commands`), and reads that must be audited are noted in
``ctx.effects`` for ``chatbot.services`` to record.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from chatbot.commands import AuditStatusRead, Effect
from chatbot.models import Channel, Conversation
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.selectors import Audience
from selfservice.selectors import CertificationStatus, certification_status


class State(StrEnum):
    """Where a conversation is (stored in ``Conversation.state``, returned by the API)."""

    IDLE = "idle"
    PICK_PERSON = "pick_person"
    DEATH_PERSON = "death_person"
    DEATH_DATE = "death_date"
    DEATH_PLACE = "death_place"
    DEATH_CONFIRM = "death_confirm"
    HANDOFF_CONFIRM = "handoff_confirm"
    HANDOFF_PHONE = "handoff_phone"
    CLARIFY = "clarify"
    OFFER_HUMAN = "offer_human"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_YES = _words("确认 确定 确认提交 提交 是 是的 对 对的 没错 好 好的 可以 行 嗯 ok yes 要 需要 同意")
_NO = _words("不 不是 不对 否 不确认 不要 不用 不需要 不用了 取消 算了 错了 不提交")
_PARTICLES_RE = re.compile(r"[啊呀吧呢哦哈嘛啦噢喔哇的了]+$")


def confident(prediction: Prediction) -> bool:
    return prediction.confidence >= settings.CHATBOT_CONFIDENCE_THRESHOLD


def yes_no(prediction: Prediction) -> bool | None:
    """True for "确认", "好的"…; False for "不要", "算了"…; None when it is neither."""
    core = prediction.text.model_text.replace(" ", "")
    core = _PARTICLES_RE.sub("", core) or core
    if core in _YES or core.startswith(("确认", "确定", "提交")):
        return True
    if core in _NO or (prediction.intent == Intent.CANCEL and prediction.confidence >= 0.5):
        return False
    return None


def is_bare_yes(prediction: Prediction) -> bool:
    """Only a yes ("确认", "好的", "是的呀"), nothing else asked."""
    core = prediction.text.model_text.replace(" ", "")
    core = _PARTICLES_RE.sub("", core) or core
    return core in _YES


@dataclass
class Context:
    audience: Audience
    conversation: Conversation
    today: datetime.date
    slots: dict[str, Any] = field(default_factory=dict)
    effects: list[Effect] = field(default_factory=list)

    # State -------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self.conversation.state

    def set(self, state: State, **slots: Any) -> None:
        self.conversation.state = state
        self.slots = slots if state != State.IDLE else {}

    def reset(self) -> None:
        self.set(State.IDLE)

    @property
    def misses(self) -> int:
        return self.conversation.misses

    @misses.setter
    def misses(self, value: int) -> None:
        self.conversation.misses = value

    @property
    def sms(self) -> bool:
        return self.audience.channel == Channel.SMS

    # Reads about people ------------------------------------------------------------------------

    def status(self, person: Pensioner) -> CertificationStatus:
        """The person's certification status; reading someone else's is audited once per message."""
        if (
            not self.audience.is_own(person)
            and self.audience.user is not None
            and all(effect.pensioner.pk != person.pk for effect in self.effects)
        ):
            self.effects.append(AuditStatusRead(pensioner=person))
        return certification_status(pensioner=person, today=self.today, for_self=self.audience.is_own(person))

    def who(self, person: Pensioner) -> str:
        return _("You") if self.audience.is_own(person) else person.name
