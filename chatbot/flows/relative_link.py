"""Certifying for a family member: who I am linked to, a pending link, or how to link."""

from __future__ import annotations

from django.utils.translation import gettext as _

from chatbot.flows.context import Context
from chatbot.nlu.classifier import Prediction
from chatbot.nlu.intents import Intent
from chatbot.replies import Reply, face_button, intent_button, link_family_button, relative_links_action
from chatbot.selectors import has_pending_relative_link


def proxy(ctx: Context, prediction: Prediction | None) -> Reply:
    relatives = ctx.audience.relatives
    if relatives:
        names = "、".join(p.name for p in relatives[:3])
        text = _(
            "You are linked to %(names)s, so you can certify for them with your own phone. "
            "The face scanned is the pensioner's own face."
        ) % {"names": names}
        return Reply(text, [face_button(p, own=False) for p in relatives[:3]])
    if has_pending_relative_link(user=ctx.audience.user):
        return Reply(
            _("Your link request is waiting for confirmation. Once it is confirmed you can certify for them."),
            [intent_button(Intent.HUMAN)],
        )
    return Reply(
        _(
            "Yes, family members can. First link the pensioner under 'My family'; they confirm with a "
            "code sent to their phone. Then you can certify for them with your phone."
        ),
        [link_family_button(), intent_button(Intent.HOW_TO_CERTIFY)],
        None if ctx.sms else relative_links_action(),
    )
