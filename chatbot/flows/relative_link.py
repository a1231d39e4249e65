"""Certifying for a family member: who I am linked to, or how to link."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chatbot.flows.context import Context
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.replies import Reply, face_button, intent_button, link_family_button, relative_links_action


def proxy(ctx: Context, prediction: Prediction | None) -> Reply:
    relatives = ctx.audience.relatives
    if relatives:
        names = "、".join(p.name for p in relatives[:3])
        text = _(
            "You are linked to %(names)s, so you can certify for them with your own phone. "
            "The face scanned is the pensioner's own face."
        ) % {"names": names}
        return Reply(text, [face_button(p, own=False) for p in relatives[:3]])
    # A pending request is not mentioned: it exists only when the ID number and name matched, and
    # the requester must not learn that from us (see docs/security.md).
    return Reply(
        _(
            "Yes, family members can. First ask to link the pensioner under 'My family'. They get an SMS "
            "naming you and agree by replying from their own phone, or in their own app; nobody ever needs "
            "a code from them. Once they agree you can certify for them with your phone."
        ),
        [link_family_button(), intent_button(Intent.HOW_TO_CERTIFY)],
        None if ctx.sms else relative_links_action(),
    )
