"""What the dialogue answers: a short text, quick-reply buttons and at most one app action.

Every answer is at most three short sentences (large fonts, read aloud). The buttons and actions
every flow offers are built here, so their labels and payloads are the same everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from chatbot.nlu.intents import Intent
from chatbot.payloads import Payload


@dataclass(frozen=True)
class Button:
    label: str
    payload: Payload

    def as_dict(self) -> dict[str, str]:
        """The API's (and ``Message.buttons``') shape."""
        return {"label": self.label, "payload": self.payload.encode()}


@dataclass
class Reply:
    text: str
    buttons: list[Button] = field(default_factory=list)
    action: dict[str, Any] | None = None


def hotline() -> str:
    return settings.SERVICE_HOTLINE


def intent_label(intent: str) -> str:
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


def intent_button(intent: Intent) -> Button:
    return Button(intent_label(intent), Payload.intent(intent))


def main_buttons() -> list[Button]:
    return [intent_button(Intent.CHECK_STATUS), intent_button(Intent.HOW_TO_CERTIFY), intent_button(Intent.HUMAN)]


def cancel_button() -> Button:
    return Button(_("Cancel"), Payload.cancel())


def callback_button() -> Button:
    return Button(_("Please call me back"), Payload.handoff())


def link_family_button() -> Button:
    return Button(_("Link a family member"), Payload.intent(Intent.PROXY_CERTIFY))


def thanks_button() -> Button:
    return Button(_("Thank you"), Payload.intent(Intent.THANKS))


def face_button(pensioner: Pensioner | None, *, own: bool = True) -> Button:
    if pensioner is None:
        return Button(_("Certify by face now"), Payload.face())
    if own:
        return Button(_("Certify by face now"), Payload.face(pensioner.pk))
    return Button(_("Certify for %(name)s") % {"name": pensioner.name}, Payload.face(pensioner.pk))


def call_action() -> dict[str, Any]:
    return {"type": "call", "phone": hotline()}


def relative_links_action() -> dict[str, Any]:
    return {"type": "open", "screen": "relative_links"}
