"""The conversation: from one understood message and the conversation state to one short reply.

Every answer is at most three short sentences (large fonts, read aloud), with quick-reply buttons
for the likely next step. Answers about a person come from the selectors and only for people in
the :class:`~chatbot.selectors.Audience`; a name or ID number in the text can only *select* one of
those people, never look anyone up.

Guided flows keep their progress in ``conversation.state`` / ``conversation.slots``:

* ``pick_person``    — which of my people a question is about (buttons with their names)
* ``death_person`` → ``death_date`` → ``death_place`` → ``death_confirm`` — death report; only the
  explicit confirmation calls ``casework.services.death_report_submit`` (the API's service)
* ``handoff_confirm`` / ``handoff_phone`` — a callback request for staff
* ``clarify`` / ``offer_human`` — after one / two messages the bot did not understand

"取消" (or the cancel button) ends any flow at any point.
"""

from __future__ import annotations

import datetime
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.idnumbers import upgrade_15_to_18
from accounts.models import Pensioner, RelativeLink
from accounts.phones import mask_phone, normalize_mainland_mobile
from accounts.services import audit_record
from backend.api.errors import ApplicationError
from backend.formats import plain_date
from chatbot.models import Channel, Conversation
from chatbot.nlu.classifier import Prediction, get_classifier
from chatbot.nlu.cues import CUES
from chatbot.nlu.dates import parse_date
from chatbot.nlu.intents import Intent
from chatbot.selectors import Audience, has_pending_relative_link, open_callback_request, service_office_for
from selfservice.selectors import CertificationState, CertificationStatus, certification_status

logger = logging.getLogger(__name__)

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

PERSONAL_INTENTS = frozenset({Intent.CHECK_STATUS, Intent.NEXT_DUE, Intent.SUSPENDED})
_MENU_EXCLUDED = frozenset({Intent.OTHER, Intent.GREETING, Intent.THANKS, Intent.CANCEL})


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_YES = _words("确认 确定 确认提交 提交 是 是的 对 对的 没错 好 好的 可以 行 嗯 ok yes 要 需要 同意")
_NO = _words("不 不是 不对 否 不确认 不要 不用 不需要 不用了 取消 算了 错了 不提交")
_START_RE = re.compile(r"^(?:我想|我要|帮我|给我|现在|马上|开始|准备好了)")
_HOWTO_RE = re.compile(CUES["howto"])
_FRAUD_RE = re.compile(CUES["fraud"])
_AMOUNT_RE = re.compile(r"多少钱|多少|发了|发放|到账|金额|几号发")
_OTHER_PERSON_WORDS = re.compile(r"邻居|朋友|同事|别人|他人|其他人|隔壁|战友|同学|老乡")
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_NAME_RE = re.compile(
    rf"(?:^|查|查询|问|问问|帮|看|看看|告诉我|关于|给)([{_SURNAMES}][\u4e00-\u9fff]{{1,2}}?)"
    r"(?:的|今年|认证|养老金|退休金|状态|资格|待遇|有没有|是不是|什么时候|啥时候)"
)
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


@dataclass(frozen=True)
class Button:
    label: str
    payload: str


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    action: dict[str, Any] | None = None


@dataclass
class Turn:
    """What one incoming message led to (stored on the messages)."""

    reply: Reply
    intent: str = ""
    confidence: float | None = None
    source: str = ""


# --- Small helpers ----------------------------------------------------------------------------


def _full_id(number: str) -> str:
    """Legacy 15-digit numbers compare as their 18-character form."""
    return upgrade_15_to_18(number) if len(number) == 15 else number


def _hotline() -> str:
    return settings.SERVICE_HOTLINE


def _intent_label(intent: str) -> str:
    labels = {
        Intent.CHECK_STATUS: _("Am I certified?"),
        Intent.NEXT_DUE: _("When is my next certification?"),
        Intent.HOW_TO_CERTIFY: _("How do I certify?"),
        Intent.FACE_FAILED: _("The face scan failed"),
        Intent.PROXY_CERTIFY: _("Certify for a family member"),
        Intent.REPORT_DEATH: _("Report a death"),
        Intent.SUSPENDED: _("My pension stopped"),
        Intent.SILENT_CERT: _("What is silent certification?"),
        Intent.REMOTE_ABROAD: _("I live elsewhere or abroad"),
        Intent.HUMAN: _("Talk to a person"),
    }
    return labels.get(intent, intent)  # type: ignore[call-overload]


def _intent_button(intent: str) -> Button:
    return Button(_intent_label(intent), f"intent:{intent}")


def _main_buttons() -> list[Button]:
    return [_intent_button(Intent.CHECK_STATUS), _intent_button(Intent.HOW_TO_CERTIFY), _intent_button(Intent.HUMAN)]


def _cancel_button() -> Button:
    return Button(_("Cancel"), "cancel")


def _face_button(pensioner: Pensioner | None, *, own: bool = True) -> Button:
    if pensioner is None:
        return Button(_("Certify by face now"), "face")
    if own:
        return Button(_("Certify by face now"), f"face:{pensioner.pk}")
    return Button(_("Certify for %(name)s") % {"name": pensioner.name}, f"face:{pensioner.pk}")


def _call_action() -> dict[str, Any]:
    return {"type": "call", "phone": _hotline()}


def _relative_links_action() -> dict[str, Any]:
    return {"type": "open", "screen": "relative_links"}


# --- The engine -------------------------------------------------------------------------------


class Dialogue:
    def __init__(
        self,
        *,
        audience: Audience,
        conversation: Conversation,
        today: datetime.date | None = None,
        request: HttpRequest | None = None,
    ) -> None:
        self.audience = audience
        self.conversation = conversation
        self.today = today or timezone.localdate()
        self.request = request
        self.slots: dict[str, Any] = dict(conversation.slots or {})
        self._audited: set[int] = set()

    # State -------------------------------------------------------------------------------

    def _set(self, state: str, **slots: Any) -> None:
        self.conversation.state = state
        self.slots = slots if state != IDLE else {}

    def _reset(self) -> None:
        self._set(IDLE)

    def _save_state(self) -> None:
        self.conversation.slots = self.slots

    @property
    def sms(self) -> bool:
        return self.audience.channel == Channel.SMS

    # Entry point ---------------------------------------------------------------------------

    def handle(self, *, text: str, payload: str = "") -> Turn:
        turn = self._handle(text=text, payload=payload.strip())
        self._save_state()
        return turn

    def _handle(self, *, text: str, payload: str) -> Turn:
        if payload:
            turn = self._payload(payload)
            if turn is not None:
                return turn
        prediction = get_classifier().predict(text)
        turn = Turn(Reply(""), prediction.intent, prediction.confidence, prediction.source)
        if prediction.source == "empty":
            turn.reply = self._miss(prediction, unreadable=True)
            return turn
        if prediction.intent == Intent.CANCEL and self._confident(prediction):
            turn.reply = self._cancel()
            return turn
        state = self.conversation.state
        flow_intent = self._flow_intent(state)
        slot_reply = self._slot(state, prediction) if state != IDLE else None
        if slot_reply is not None:
            return Turn(slot_reply, flow_intent or prediction.intent, prediction.confidence, "flow")
        if state != IDLE:
            self._reset()  # the person moved on to something else
        if self._foreign_id_number(prediction):
            self.conversation.misses = 0
            turn.reply = self._not_yours()
            return turn
        if not self._confident(prediction):
            turn.reply = self._miss(prediction)
            return turn
        self.conversation.misses = 0
        self.conversation.last_intent = prediction.intent
        turn.reply = self._intent(prediction.intent, prediction)
        return turn

    def _flow_intent(self, state: str) -> str:
        if state.startswith("death_"):
            return Intent.REPORT_DEATH
        if state.startswith("handoff_"):
            return Intent.HUMAN
        if state == PICK_PERSON:
            purpose = self.slots.get("purpose", "")
            return purpose if purpose in Intent.__members__.values() else Intent.HOW_TO_CERTIFY
        return ""

    def _foreign_id_number(self, prediction: Prediction) -> bool:
        """An ID number that is not one of my people's: whatever was asked, say nothing about it."""
        mine = {p.id_number for p in self.audience.people}
        return any(_full_id(number) not in mine for number in prediction.text.id_numbers)

    @staticmethod
    def _confident(prediction: Prediction) -> bool:
        return prediction.confidence >= settings.CHATBOT_CONFIDENCE_THRESHOLD

    # Buttons -------------------------------------------------------------------------------

    def _payload(self, payload: str) -> Turn | None:
        """A quick-reply button; None means "not a payload we know": treat it as text."""
        kind, _sep, arg = payload.partition(":")
        state = self.conversation.state
        if kind == "cancel":
            return Turn(self._cancel(), Intent.CANCEL, 1.0, "button")
        if kind == "intent" and arg in Intent.__members__.values():
            self._reset()
            self.conversation.misses = 0
            self.conversation.last_intent = arg
            return Turn(self._intent(arg, None), arg, 1.0, "button")
        if kind == "none":
            return Turn(self._miss(None, refused=True), Intent.OTHER, 0.0, "button")
        if kind == "face":
            person = self.audience.person(arg) if arg else None
            if arg and person is None:
                return Turn(self._not_yours(), Intent.HOW_TO_CERTIFY, 1.0, "button")
            self._reset()
            return Turn(self._face_start(person), Intent.HOW_TO_CERTIFY, 1.0, "button")
        if kind == "person" and state in (PICK_PERSON, DEATH_PERSON):
            person = self.audience.person(arg)
            if person is None:
                return Turn(self._not_yours(), self.slots.get("purpose", ""), 1.0, "button")
            return Turn(self._person_chosen(person), self.slots.get("purpose", ""), 1.0, "button")
        if kind == "confirm" and state == DEATH_CONFIRM:
            return Turn(self._death_submit(), Intent.REPORT_DEATH, 1.0, "button")
        if kind == "handoff":
            return Turn(self._handoff_create(), Intent.HUMAN, 1.0, "button")
        if kind == "date" and state == DEATH_DATE and arg in ("today", "yesterday"):
            day = self.today - datetime.timedelta(days=1 if arg == "yesterday" else 0)
            self.slots["date"] = day.isoformat()
            return Turn(self._death_next(), Intent.REPORT_DEATH, 1.0, "button")
        if kind == "place" and state == DEATH_PLACE:
            places = {"home": _("at home"), "hospital": _("in hospital")}
            if arg in places:
                self.slots["place"] = places[arg]
                return Turn(self._death_next(), Intent.REPORT_DEATH, 1.0, "button")
        return None

    # Misunderstanding ----------------------------------------------------------------------

    def _miss(self, prediction: Prediction | None, *, unreadable: bool = False, refused: bool = False) -> Reply:
        """First miss: one clarifying question with buttons. Second: offer a person."""
        self.conversation.misses += 1
        if refused or self.conversation.misses >= 2:
            return self._offer_human()
        self._set(CLARIFY)
        if unreadable:
            return Reply(_("I could not read that. Please tell me your question in words."), _main_buttons())
        options = [intent for intent, _p in (prediction.ranking if prediction else ()) if intent not in _MENU_EXCLUDED]
        if not options:
            options = [Intent.CHECK_STATUS, Intent.HOW_TO_CERTIFY]
        buttons = [_intent_button(intent) for intent in options[:3]]
        buttons.append(Button(_("None of these"), "none"))
        return Reply(_("Sorry, I am not sure I understood. Is it one of these?"), buttons)

    def _offer_human(self) -> Reply:
        self.conversation.misses = 0
        self._set(OFFER_HUMAN)
        return Reply(
            _("Sorry, I still did not understand. Shall a member of staff call you back?"),
            [Button(_("Please call me back"), "handoff"), _cancel_button()],
            _call_action(),
        )

    def _cancel(self) -> Reply:
        in_flow = self.conversation.state not in (IDLE, CLARIFY, OFFER_HUMAN)
        self._reset()
        self.conversation.misses = 0
        if in_flow:
            return Reply(_("All right, I have cancelled it. Nothing was submitted."), _main_buttons())
        return Reply(_("All right. What else can I do for you?"), _main_buttons())

    # Who is the question about? ------------------------------------------------------------

    def _mentioned(self, prediction: Prediction | None) -> tuple[str, list[Pensioner]]:
        """Who the text points at: ("person"/"self", [p]), ("ambiguous", [...]), ("other"/"not_linked"/"none", [])."""
        if prediction is None:
            return "none", []
        people = self.audience.people
        for number in prediction.text.id_numbers:
            match = [p for p in people if p.id_number == _full_id(number)]
            if not match:
                return "other", []  # someone else's ID number: reveal nothing, not even existence
            return "person", match
        clean = prediction.text.clean
        named = [p for p in people if p.name and len(p.name) >= 2 and p.name in clean]
        if len(named) == 1:
            return "person", named
        relatives = self.audience.relatives
        for word, relationships, sex in _RELATIVE_WORDS:
            if word in clean:
                match = [
                    p
                    for p in relatives
                    if self.audience.links[p.pk].relationship in relationships and (sex is None or p.sex == sex)
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
        if _SELF_RE.search(clean) and self.audience.own:
            return "self", self.audience.own
        return "none", []

    def _subject(self, purpose: str, prediction: Prediction | None, *, ask: bool = True) -> Pensioner | Reply | None:
        """The pensioner a personal question is about, or the reply to send instead."""
        kind, matches = self._mentioned(prediction)
        if kind == "other":
            return self._not_yours()
        if kind == "not_linked":
            return self._not_linked()
        if kind in ("person", "self") and len(matches) == 1:
            return matches[0]
        own = self.audience.own
        if kind == "none" and len(own) == 1:
            return own[0]
        candidates = matches if kind == "ambiguous" else self.audience.people
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return self._nobody() if ask else None
        if not ask:
            return None
        self._set(PICK_PERSON, purpose=purpose)
        buttons = [self._person_button(p) for p in candidates[:4]]
        return Reply(_("Who is your question about?"), [*buttons, _cancel_button()])

    def _person_button(self, pensioner: Pensioner) -> Button:
        label = _("Myself") if self.audience.is_own(pensioner) else pensioner.name
        return Button(label, f"person:{pensioner.pk}")

    def _not_yours(self) -> Reply:
        return Reply(
            _(
                "To protect personal information I can only answer about you or family members linked to your "
                "account. To help a family member, link them first."
            ),
            [Button(_("Link a family member"), "intent:proxy_certify"), _intent_button(Intent.CHECK_STATUS)],
            None if self.sms else _relative_links_action(),
        )

    def _not_linked(self) -> Reply:
        return Reply(
            _(
                "This family member is not linked to your account yet. After they confirm the link, "
                "I can check and certify for them."
            ),
            [Button(_("Link a family member"), "intent:proxy_certify")],
            None if self.sms else _relative_links_action(),
        )

    def _nobody(self) -> Reply:
        if self.sms:
            return Reply(
                _(
                    "To protect personal information, SMS answers about a person go only to the phone number "
                    "registered with us. Please call %(hotline)s."
                )
                % {"hotline": _hotline()},
                [],
            )
        return Reply(
            _(
                "Your account is not linked to a pensioner. Pensioners log in with their registered phone; "
                "family members link the pensioner first."
            ),
            [Button(_("Link a family member"), "intent:proxy_certify"), _intent_button(Intent.HUMAN)],
            _relative_links_action(),
        )

    def _person_chosen(self, person: Pensioner) -> Reply:
        purpose = self.slots.get("purpose", Intent.CHECK_STATUS)
        state = self.conversation.state
        if state == DEATH_PERSON:
            return self._death_with_person(person, date_iso=self.slots.get("date"))
        self._reset()
        if purpose in ("face", Intent.HOW_TO_CERTIFY):
            return self._face_start(person)
        return self._personal_answer(purpose, person)

    def _who(self, person: Pensioner) -> str:
        return _("You") if self.audience.is_own(person) else person.name

    def _status(self, person: Pensioner) -> CertificationStatus:
        if not self.audience.is_own(person) and person.pk not in self._audited and self.audience.user is not None:
            audit_record(actor=self.audience.user, action="chatbot.status.read", target=person, request=self.request)
            self._audited.add(person.pk)
        return certification_status(pensioner=person, today=self.today)

    # Intents -------------------------------------------------------------------------------

    def _intent(self, intent: str, prediction: Prediction | None) -> Reply:
        if (
            prediction is not None
            and prediction.text.has_url
            and intent
            in (
                Intent.OTHER,
                Intent.SILENT_CERT,
                Intent.SUSPENDED,
                Intent.HOW_TO_CERTIFY,
                Intent.CHECK_STATUS,
            )
        ):
            return self._fraud_warning()
        handler = {
            Intent.GREETING: self._greeting,
            Intent.THANKS: self._thanks,
            Intent.CANCEL: lambda p: self._cancel(),
            Intent.CHECK_STATUS: lambda p: self._personal(Intent.CHECK_STATUS, p),
            Intent.NEXT_DUE: lambda p: self._personal(Intent.NEXT_DUE, p),
            Intent.SUSPENDED: lambda p: self._personal(Intent.SUSPENDED, p),
            Intent.HOW_TO_CERTIFY: self._how_to,
            Intent.FACE_FAILED: self._face_failed,
            Intent.PROXY_CERTIFY: self._proxy,
            Intent.REPORT_DEATH: self._death_start,
            Intent.SILENT_CERT: self._silent,
            Intent.REMOTE_ABROAD: self._remote,
            Intent.HUMAN: self._human,
            Intent.OTHER: self._other,
        }[Intent(intent)]
        return handler(prediction)

    def _greeting(self, prediction: Prediction | None) -> Reply:
        return Reply(
            _(
                "Hello, I am the certification assistant. I can check your certification, tell you when the "
                "next one is due, and help you certify."
            ),
            _main_buttons(),
        )

    def _thanks(self, prediction: Prediction | None) -> Reply:
        return Reply(_("You are welcome. Take care, and ask me any time."), [_intent_button(Intent.CHECK_STATUS)])

    def _personal(self, intent: str, prediction: Prediction | None) -> Reply:
        subject = self._subject(intent, prediction)
        if isinstance(subject, Reply):
            return subject
        if subject is None:
            return self._nobody()
        return self._personal_answer(intent, subject)

    def _personal_answer(self, intent: str, person: Pensioner) -> Reply:
        status = self._status(person)
        if intent == Intent.SUSPENDED:
            return self._suspended_answer(person, status)
        if intent == Intent.NEXT_DUE:
            return self._next_due_answer(person, status)
        return self._status_answer(person, status)

    def _ended(self, person: Pensioner, status: CertificationStatus) -> Reply | None:
        if status.state == CertificationState.DECEASED:
            return Reply(
                _("The benefit of %(name)s has ended. Our condolences. For death benefits please call %(hotline)s.")
                % {"name": person.name, "hotline": _hotline()},
                [_intent_button(Intent.HUMAN)],
                _call_action(),
            )
        if status.state == CertificationState.TERMINATED:
            return Reply(
                _("The benefit of %(who)s has ended. For questions please call %(hotline)s.")
                % {"who": self._who(person), "hotline": _hotline()},
                [_intent_button(Intent.HUMAN)],
                _call_action(),
            )
        return None

    def _face_action(self, person: Pensioner) -> dict[str, Any] | None:
        if self.sms:
            return None
        return {
            "type": "start_face_certification",
            "pensioner_id": person.pk,
            "proxy": not self.audience.is_own(person),
        }

    def _status_answer(self, person: Pensioner, status: CertificationStatus) -> Reply:
        ended = self._ended(person, status)
        if ended is not None:
            return ended
        if status.state == CertificationState.SUSPENDED:
            return self._suspended_answer(person, status)
        who = self._who(person)
        own = self.audience.is_own(person)
        last = ""
        if status.last_certified_at:
            last = _("Last time: %(date)s, %(method)s.") % {
                "date": plain_date(timezone.localtime(status.last_certified_at).date()),
                "method": status.last_method_label,
            }
        if status.state == CertificationState.CERTIFIED:
            text = _("%(who)s have certified. Next time is before %(due)s.") % {
                "who": who,
                "due": plain_date(status.next_due),
            }
            return Reply(f"{text}{last}", [_intent_button(Intent.NEXT_DUE), Button(_("Thank you"), "intent:thanks")])
        if status.state == CertificationState.DUE_SOON:
            text = _("The certification of %(who)s is due in %(days)d days (%(due)s). You can certify by face now.") % {
                "who": who,
                "days": status.days_left,
                "due": plain_date(status.next_due),
            }
            return Reply(
                text, [_face_button(person, own=own), _intent_button(Intent.HOW_TO_CERTIFY)], self._face_action(person)
            )
        text = _(
            "The certification of %(who)s expired on %(due)s. Please certify now so the pension is not paused."
        ) % {
            "who": who,
            "due": plain_date(status.next_due),
        }
        return Reply(text, [_face_button(person, own=own), _intent_button(Intent.HUMAN)], self._face_action(person))

    def _next_due_answer(self, person: Pensioner, status: CertificationStatus) -> Reply:
        ended = self._ended(person, status)
        if ended is not None:
            return ended
        if status.state in (CertificationState.SUSPENDED, CertificationState.OVERDUE):
            return self._status_answer(person, status)
        text = _(
            "%(who)s should certify next before %(due)s, in %(days)d days. We will remind you by SMS before then."
        ) % {"who": self._who(person), "due": plain_date(status.next_due), "days": status.days_left}
        buttons = [_intent_button(Intent.SILENT_CERT)]
        if status.state == CertificationState.DUE_SOON:
            buttons.insert(0, _face_button(person, own=self.audience.is_own(person)))
            return Reply(text, buttons, self._face_action(person))
        return Reply(text, buttons)

    def _suspended_answer(self, person: Pensioner, status: CertificationStatus) -> Reply:
        ended = self._ended(person, status)
        if ended is not None:
            return ended
        who = self._who(person)
        if status.state == CertificationState.SUSPENDED:
            if person.suspension_reason == Pensioner.SuspensionReason.OVERDUE:
                text = _(
                    "The pension of %(who)s is paused because the certification expired. "
                    "After a face certification it starts again and the paused months are paid back."
                ) % {"who": who}
                return Reply(
                    text,
                    [_face_button(person, own=self.audience.is_own(person)), _intent_button(Intent.HUMAN)],
                    self._face_action(person),
                )
            if person.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT:
                text = _(
                    "The pension of %(who)s is paused because a death was reported and is being checked. "
                    "If this is a mistake, please call %(hotline)s at once."
                ) % {"who": who, "hotline": _hotline()}
                return Reply(text, [_intent_button(Intent.HUMAN)], _call_action())
            text = _(
                "The pension of %(who)s is paused while the office checks the case. Please call %(hotline)s or "
                "ask a member of staff to call you."
            ) % {"who": who, "hotline": _hotline()}
            return Reply(text, [Button(_("Please call me back"), "handoff")], _call_action())
        if status.state == CertificationState.OVERDUE:
            text = _(
                "The pension of %(who)s is not paused yet, but the certification has expired. "
                "Please certify now, otherwise it will be paused."
            ) % {"who": who}
            return Reply(text, [_face_button(person, own=self.audience.is_own(person))], self._face_action(person))
        text = _(
            "The pension of %(who)s is not paused and the certification is in order. "
            "If this month's payment has not arrived, a member of staff can check it."
        ) % {"who": who}
        return Reply(text, [Button(_("Please call me back"), "handoff"), _intent_button(Intent.CHECK_STATUS)])

    # How to certify, face -------------------------------------------------------------------

    def _how_to(self, prediction: Prediction | None) -> Reply:
        wants_to_start = prediction is not None and (
            _START_RE.search(prediction.text.model_text) and not _HOWTO_RE.search(prediction.text.model_text)
        )
        if wants_to_start:
            subject = self._subject(Intent.HOW_TO_CERTIFY, prediction)
            if isinstance(subject, Reply):
                return subject
            return self._face_start(subject)
        text = _(
            "You can certify with a face scan in this app; no blinking or nodding is needed, and family members "
            "can help. Without a smartphone, ask your community or village to visit you, or go to a service counter."
        )
        if self.sms:
            text = _(
                "You can certify with a face scan in the social-insurance app; family members can help. Without a "
                "smartphone, ask your community or village to visit you, or go to a service counter."
            )
        return Reply(text, [_face_button(None), _intent_button(Intent.PROXY_CERTIFY), _intent_button(Intent.HUMAN)])

    def _face_start(self, person: Pensioner | None) -> Reply:
        if person is None:
            subject = self._subject(Intent.HOW_TO_CERTIFY, None)
            if isinstance(subject, Reply):
                if self.conversation.state == PICK_PERSON:
                    self.slots["purpose"] = "face"
                return subject
            person = subject
        status = self._status(person)
        ended = self._ended(person, status)
        if ended is not None:
            return ended
        if self.sms:
            return Reply(
                _(
                    "Please open the social-insurance app and tap 'face certification'. "
                    "No blinking or nodding is needed."
                ),
                [_intent_button(Intent.FACE_FAILED)],
            )
        if self.audience.is_own(person):
            text = _(
                "Tap the button below to start. Hold the phone in front of your face in good light; "
                "no blinking or nodding is needed."
            )
        else:
            text = _(
                "Tap the button below to certify for %(name)s. Point your phone at %(name)s's own face in good light."
            ) % {"name": person.name}
        return Reply(
            text,
            [_face_button(person, own=self.audience.is_own(person)), _intent_button(Intent.FACE_FAILED)],
            self._face_action(person),
        )

    def _face_failed(self, prediction: Prediction | None) -> Reply:
        return Reply(
            _(
                "Face a bright window, take off hat, mask and glasses, and hold the phone at eye level; no blinking "
                "is needed. If it keeps failing, a family member can help, or your community can certify you at home."
            ),
            [_face_button(None), _intent_button(Intent.PROXY_CERTIFY), Button(_("Please call me back"), "handoff")],
        )

    def _proxy(self, prediction: Prediction | None) -> Reply:
        relatives = self.audience.relatives
        if relatives:
            names = "、".join(p.name for p in relatives[:3])
            text = _(
                "You are linked to %(names)s, so you can certify for them with your own phone. "
                "The face scanned is the pensioner's own face."
            ) % {"names": names}
            return Reply(text, [_face_button(p, own=False) for p in relatives[:3]])
        if has_pending_relative_link(user=self.audience.user):
            return Reply(
                _("Your link request is waiting for confirmation. Once it is confirmed you can certify for them."),
                [_intent_button(Intent.HUMAN)],
            )
        return Reply(
            _(
                "Yes, family members can. First link the pensioner under 'My family'; they confirm with a "
                "code sent to their phone. Then you can certify for them with your phone."
            ),
            [Button(_("Link a family member"), "intent:proxy_certify"), _intent_button(Intent.HOW_TO_CERTIFY)],
            None if self.sms else _relative_links_action(),
        )

    def _silent(self, prediction: Prediction | None) -> Reply:
        text = _(
            "Silent certification means we confirm you from records such as hospital visits or bus rides, "
            "so you need to do nothing. A genuine SMS never asks you to click a link, pay, or give a code."
        )
        subject = self._subject(Intent.SILENT_CERT, prediction, ask=False)
        if isinstance(subject, Pensioner):
            status = self._status(subject)
            if status.last_method == "silent" and status.last_certified_at:
                text += _("%(who)s were last certified this way on %(date)s.") % {
                    "who": self._who(subject),
                    "date": plain_date(timezone.localtime(status.last_certified_at).date()),
                }
        return Reply(text, [_intent_button(Intent.CHECK_STATUS), _intent_button(Intent.NEXT_DUE)])

    def _remote(self, prediction: Prediction | None) -> Reply:
        return Reply(
            _(
                "Wherever you live, in another province or abroad, you can certify by face in the app. "
                "If that is not possible, get a certificate from the embassy or consulate and post it to your "
                "social-insurance office."
            ),
            [_face_button(None), _intent_button(Intent.HUMAN)],
        )

    def _fraud_warning(self) -> Reply:
        return Reply(
            _(
                "This message may be a scam. The social-insurance office never asks you to click a link, transfer "
                "money or give a verification code. If unsure, call %(hotline)s."
            )
            % {"hotline": _hotline()},
            [_intent_button(Intent.CHECK_STATUS), _intent_button(Intent.HUMAN)],
            _call_action(),
        )

    def _other(self, prediction: Prediction | None) -> Reply:
        model_text = prediction.text.model_text if prediction else ""
        if prediction is not None and _FRAUD_RE.search(model_text):
            return self._fraud_warning()
        if prediction is not None and _AMOUNT_RE.search(model_text):
            subject = self._subject(Intent.OTHER, prediction, ask=False)
            if isinstance(subject, Pensioner):
                return self._amount(subject)
        return Reply(
            _(
                "I cannot answer that yet. I can check certification, help you certify, or ask a member of staff "
                "to call you."
            ),
            _main_buttons(),
        )

    def _amount(self, person: Pensioner) -> Reply:
        from casework.selectors import ledger_summary

        self._status(person)  # audited like any read about someone else
        summary = ledger_summary(pensioner=person)
        if summary.last_paid_on is None:
            return Reply(
                _("I cannot see a payment yet. For amounts and adjustments please call %(hotline)s.")
                % {"hotline": _hotline()},
                [Button(_("Please call me back"), "handoff")],
            )
        return Reply(
            _(
                "The last pension of %(who)s, %(amount)s yuan, was paid on %(date)s. "
                "For amounts and adjustments please call %(hotline)s."
            )
            % {
                "who": self._who(person),
                "amount": summary.last_paid_amount,
                "date": plain_date(summary.last_paid_on),
                "hotline": _hotline(),
            },
            [Button(_("Please call me back"), "handoff"), _intent_button(Intent.CHECK_STATUS)],
        )

    # Death report ---------------------------------------------------------------------------

    def _death_start(self, prediction: Prediction | None) -> Reply:
        if self.audience.user is None or not self.audience.relatives:
            return Reply(
                _(
                    "Our condolences. Family members linked to the pensioner can report a death here; "
                    "otherwise please call %(hotline)s or go to a service counter."
                )
                % {"hotline": _hotline()},
                [
                    Button(_("Please call me back"), "handoff"),
                    Button(_("Link a family member"), "intent:proxy_certify"),
                ],
                _call_action(),
            )
        date = parse_date(prediction.text.clean, today=self.today) if prediction else None
        date_iso = date.isoformat() if date else None
        kind, matches = self._mentioned(prediction)
        if kind == "other":
            return self._not_yours()
        if kind == "not_linked":
            return self._not_linked()
        relatives = self.audience.relatives
        candidates = [p for p in matches if p in relatives] if kind in ("person", "ambiguous") else relatives
        if len(candidates) == 1:
            return self._death_with_person(candidates[0], date_iso=date_iso)
        if not candidates:
            return self._not_yours()
        self._set(DEATH_PERSON, purpose=Intent.REPORT_DEATH, date=date_iso)
        return Reply(
            _("Our condolences. Who passed away?"),
            [*[Button(p.name, f"person:{p.pk}") for p in candidates[:4]], _cancel_button()],
        )

    def _death_with_person(self, person: Pensioner, *, date_iso: str | None) -> Reply:
        if person.pk not in self.audience.links:
            self._reset()
            return self._not_yours()
        status = self._status(person)
        if status.state in (CertificationState.DECEASED, CertificationState.TERMINATED):
            self._reset()
            return Reply(
                _("The benefit of %(name)s has already ended; nothing more needs to be reported here.")
                % {"name": person.name},
                [_intent_button(Intent.HUMAN)],
            )
        self._set(DEATH_DATE, pensioner_id=person.pk, date=date_iso, request_id=str(uuid.uuid4()))
        return self._death_next()

    def _death_person(self) -> Pensioner | None:
        person = self.audience.person(self.slots.get("pensioner_id"))
        return person if person is not None and person.pk in self.audience.links else None

    def _death_next(self) -> Reply:
        """Ask for the next missing answer, or for the confirmation when all are there."""
        person = self._death_person()
        if person is None:
            self._reset()
            return self._not_yours()
        slots = dict(self.slots)
        if not slots.get("date"):
            self._set(DEATH_DATE, **slots)
            return Reply(
                _("Our condolences. On what date did %(name)s pass away? For example 'November 20' or 'yesterday'.")
                % {"name": person.name},
                [Button(_("Today"), "date:today"), Button(_("Yesterday"), "date:yesterday"), _cancel_button()],
            )
        if not slots.get("place"):
            self._set(DEATH_PLACE, **slots)
            return Reply(
                _("Where did it happen? You can type the place, or tap a button."),
                [Button(_("At home"), "place:home"), Button(_("In hospital"), "place:hospital"), _cancel_button()],
            )
        self._set(DEATH_CONFIRM, **slots)
        link = self.audience.links[person.pk]
        return Reply(
            _(
                "Please check: %(name)s passed away on %(date)s %(place)s, reported by you (%(relationship)s). "
                "After you submit, the pension is paused while we verify."
            )
            % {
                "name": person.name,
                "date": plain_date(datetime.date.fromisoformat(slots["date"])),
                "place": slots["place"],
                "relationship": link.get_relationship_display(),
            },
            [Button(_("Confirm and submit"), "confirm"), _cancel_button()],
        )

    def _death_submit(self) -> Reply:
        from casework.services import death_report_submit

        person = self._death_person()
        user = self.audience.user
        if person is None or user is None or not self.slots.get("date") or not self.slots.get("place"):
            self._reset()
            return Reply(_("Something is missing, so nothing was submitted. Please start again."), _main_buttons())
        try:
            with transaction.atomic():
                report, _created = death_report_submit(
                    reporter=user,
                    pensioner_id=person.pk,
                    date_of_death=datetime.date.fromisoformat(self.slots["date"]),
                    place=self.slots["place"],
                    client_request_id=uuid.UUID(self.slots["request_id"]),
                    note=_("Reported through the chatbot."),
                    request=self.request,
                )
        except ApplicationError as exc:
            if exc.code in ("date_in_future", "date_before_birth"):
                slots = dict(self.slots, date=None)
                self._set(DEATH_DATE, **slots)
                return Reply(
                    _("%(problem)s On what date did %(name)s pass away?")
                    % {"problem": exc.message, "name": person.name},
                    [_cancel_button()],
                )
            self._reset()
            logger.info("chatbot death report refused: %s", exc.code)
            return Reply(exc.message, [_intent_button(Intent.HUMAN)])
        self._reset()
        return Reply(
            _(
                "Thank you, we received your report (case no. %(case)d). The pension is paused while we verify, and we "
                "will tell you the result by SMS. For funeral grants bring the death certificate to a service counter."
            )
            % {"case": report.case_id},
            [Button(_("Please call me back"), "handoff")],
        )

    # Hand-off --------------------------------------------------------------------------------

    def _human(self, prediction: Prediction | None) -> Reply:
        phone = self.audience.phone
        if not phone:
            self._set(HANDOFF_PHONE)
            return Reply(
                _("Which mobile number should staff call? Or call %(hotline)s yourself.") % {"hotline": _hotline()},
                [_cancel_button()],
                _call_action(),
            )
        self._set(HANDOFF_CONFIRM)
        return Reply(
            _("Shall a member of staff call you back on %(phone)s? You can also call %(hotline)s.")
            % {"phone": mask_phone(phone), "hotline": _hotline()},
            [Button(_("Yes, please call me"), "handoff"), _cancel_button()],
            _call_action(),
        )

    def _handoff_region_person(self) -> tuple[Pensioner | None, Any]:
        person = self.audience.person(self.slots.get("pensioner_id"))
        if person is None and self.audience.own:
            person = self.audience.own[0]
        if person is None and len(self.audience.people) == 1:
            person = self.audience.people[0]
        region = person.region if person is not None else getattr(self.audience.user, "region", None)
        return person, region

    def _handoff_create(self, phone: str | None = None) -> Reply:
        phone = phone or self.audience.phone or self.slots.get("phone", "")
        if not phone:
            return self._human(None)
        person, region = self._handoff_region_person()
        since = timezone.now() - datetime.timedelta(hours=settings.CHATBOT_CALLBACK_DEDUPE_HOURS)
        existing = open_callback_request(phone=phone, since=since)
        self._reset()
        office = service_office_for(region=region)
        office_text = ""
        if office is not None:
            office_text = _("Your office: %(name)s %(address)s %(phone)s.") % {
                "name": office.name,
                "address": office.address,
                "phone": office.phone,
            }
        if existing is not None:
            return Reply(
                _("You are already on the list; staff will call %(phone)s soon.") % {"phone": mask_phone(phone)}
                + office_text,
                [_intent_button(Intent.CHECK_STATUS)],
                _call_action(),
            )
        from chatbot.services import callback_request_create

        callback_request_create(
            conversation=self.conversation,
            user=self.audience.user,
            phone=phone,
            pensioner=person,
            region=region,
            topic=self.conversation.last_intent,
        )
        return Reply(
            _("Done. Staff will call you back on %(phone)s during working hours; if it is urgent, call %(hotline)s.")
            % {"phone": mask_phone(phone), "hotline": _hotline()}
            + office_text,
            [_intent_button(Intent.CHECK_STATUS)],
            _call_action(),
        )

    # Slot filling ------------------------------------------------------------------------------

    def _yes_no(self, prediction: Prediction) -> bool | None:
        core = prediction.text.model_text.replace(" ", "")
        core = re.sub(r"[啊呀吧呢哦哈嘛啦噢喔哇的了]+$", "", core) or core
        if core in _YES or core.startswith(("确认", "确定", "提交")):
            return True
        if core in _NO or (prediction.intent == Intent.CANCEL and prediction.confidence >= 0.5):
            return False
        return None

    def _slot(self, state: str, prediction: Prediction) -> Reply | None:
        """The reply if the message answers the question we asked; None if it is something else."""
        if state in (PICK_PERSON, DEATH_PERSON):
            kind, matches = self._mentioned(prediction)
            if kind in ("person", "self") and len(matches) == 1:
                return self._person_chosen(matches[0])
            if kind == "other":
                self._reset()
                return self._not_yours()
            if self._confident(prediction) and prediction.intent not in (self.slots.get("purpose"), Intent.OTHER):
                return None
            return self._reask(_("Please tap the name of the person, or say 'cancel'."), keep_buttons=True)
        if state == DEATH_DATE:
            day = parse_date(prediction.text.clean, today=self.today)
            if day is None:
                if self._confident(prediction) and prediction.intent not in (Intent.REPORT_DEATH, Intent.OTHER):
                    return None
                return self._reask(_("Please tell me the date, for example 'November 20' or 'yesterday'."))
            if day > self.today:
                return self._reask(_("The date cannot be in the future. On what date did it happen?"))
            self.slots["date"] = day.isoformat()
            self.conversation.misses = 0
            return self._death_next()
        if state == DEATH_PLACE:
            if prediction.source == "rule" or (self._confident(prediction) and prediction.intent == Intent.HUMAN):
                return None  # "你好", "谢谢", "转人工" are not places
            place = prediction.text.clean.strip()[:100]
            if not place:
                return self._reask(_("Where did it happen? For example 'at home' or the hospital's name."))
            self.slots["place"] = place
            return self._death_next()
        if state == DEATH_CONFIRM:
            answer = self._yes_no(prediction)
            if answer is True:
                return self._death_submit()
            if answer is False:
                return self._cancel()
            return self._reask(_("Please tap 'Confirm and submit' or 'Cancel'."), keep_buttons=True)
        if state == HANDOFF_CONFIRM:
            answer = self._yes_no(prediction)
            if answer is True:
                return self._handoff_create()
            if answer is False:
                return self._cancel()
            return None
        if state == HANDOFF_PHONE:
            candidates = re.findall(r"\+?[0-9][0-9 -]{9,16}[0-9]", prediction.text.clean)
            for raw in candidates:
                try:
                    phone = normalize_mainland_mobile(raw)
                except ValidationError:
                    continue
                self.slots["phone"] = phone
                return self._handoff_create(phone)
            if self._confident(prediction) and prediction.intent not in (Intent.HUMAN, Intent.OTHER):
                return None
            return self._reask(_("Please type an 11-digit mobile number, or say 'cancel'."))
        if state in (CLARIFY, OFFER_HUMAN):
            return None
        return None

    def _reask(self, question: str, *, keep_buttons: bool = False) -> Reply:
        """Ask the same question again; on the second failure offer a person instead."""
        self.conversation.misses += 1
        if self.conversation.misses >= 2:
            return self._offer_human()
        buttons: list[Button] = [_cancel_button()]
        if self.conversation.state == DEATH_DATE:
            buttons = [Button(_("Today"), "date:today"), Button(_("Yesterday"), "date:yesterday"), _cancel_button()]
        elif keep_buttons and self.conversation.state == DEATH_CONFIRM:
            buttons = [Button(_("Confirm and submit"), "confirm"), _cancel_button()]
        elif keep_buttons:
            people = self.audience.relatives if self.conversation.state == DEATH_PERSON else self.audience.people
            buttons = [*[self._person_button(p) for p in people[:4]], _cancel_button()]
        return Reply(question, buttons)
