"""What a quick-reply button sends back, as a typed value.

On the wire (the API's ``buttons[].payload`` and ``payload`` fields, and ``Message.payload``) a
payload stays the short string clients already know: ``"kind"`` or ``"kind:arg"``, for example
``"intent:check_status"``, ``"person:12"``, ``"date:yesterday"``, ``"cancel"``. Only this module
builds or reads that string; everything else uses :class:`Payload`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chatbot.nlu.intents import Intent

MAX_WIRE_CHARS = 60  # the API and the model field accept no more


class Kind(StrEnum):
    INTENT = "intent"  # arg: an Intent value
    CANCEL = "cancel"
    NONE = "none"  # "none of these" after a clarifying question
    FACE = "face"  # arg: a pensioner id, or empty for "whoever I am asking about"
    PERSON = "person"  # arg: a pensioner id
    CONFIRM = "confirm"
    HANDOFF = "handoff"
    DATE = "date"  # arg: a DateChoice
    PLACE = "place"  # arg: a PlaceChoice


class DateChoice(StrEnum):
    TODAY = "today"
    YESTERDAY = "yesterday"


class PlaceChoice(StrEnum):
    HOME = "home"
    HOSPITAL = "hospital"


@dataclass(frozen=True)
class Payload:
    kind: Kind
    arg: str = ""

    # Constructors: the only way the dialogue makes a payload -------------------------------

    @classmethod
    def intent(cls, intent: Intent | str) -> Payload:
        return cls(Kind.INTENT, str(intent))

    @classmethod
    def cancel(cls) -> Payload:
        return cls(Kind.CANCEL)

    @classmethod
    def none_of_these(cls) -> Payload:
        return cls(Kind.NONE)

    @classmethod
    def face(cls, pensioner_id: int | None = None) -> Payload:
        return cls(Kind.FACE, "" if pensioner_id is None else str(pensioner_id))

    @classmethod
    def person(cls, pensioner_id: int) -> Payload:
        return cls(Kind.PERSON, str(pensioner_id))

    @classmethod
    def confirm(cls) -> Payload:
        return cls(Kind.CONFIRM)

    @classmethod
    def handoff(cls) -> Payload:
        return cls(Kind.HANDOFF)

    @classmethod
    def date(cls, choice: DateChoice) -> Payload:
        return cls(Kind.DATE, str(choice))

    @classmethod
    def place(cls, choice: PlaceChoice) -> Payload:
        return cls(Kind.PLACE, str(choice))

    # Typed views of the argument ------------------------------------------------------------

    @property
    def pensioner_id(self) -> int | None:
        """The pensioner a FACE or PERSON button names (None: no or a malformed id)."""
        return int(self.arg) if self.arg.isdigit() else None

    @property
    def intent_value(self) -> Intent | None:
        return Intent(self.arg) if self.arg in _INTENT_VALUES else None

    @property
    def date_choice(self) -> DateChoice | None:
        return DateChoice(self.arg) if self.arg in _DATE_VALUES else None

    @property
    def place_choice(self) -> PlaceChoice | None:
        return PlaceChoice(self.arg) if self.arg in _PLACE_VALUES else None

    # The wire format ------------------------------------------------------------------------

    def encode(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else str(self.kind)

    def __str__(self) -> str:
        return self.encode()

    @classmethod
    def decode(cls, wire: str) -> Payload | None:
        """The payload a button sent, or None for a string no button of ours carries (then the
        message is read as text)."""
        kind, _sep, arg = (wire or "").strip().partition(":")
        if kind not in _KIND_VALUES:
            return None
        return cls(Kind(kind), arg)


_KIND_VALUES = frozenset(k.value for k in Kind)
_INTENT_VALUES = frozenset(i.value for i in Intent)
_DATE_VALUES = frozenset(c.value for c in DateChoice)
_PLACE_VALUES = frozenset(c.value for c in PlaceChoice)
