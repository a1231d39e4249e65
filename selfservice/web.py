"""The elder-mode mobile web client at ``/m/``: one shell page over the public API, no build step.

The page is a reference for app and mini-program teams: everything it does goes through ``/api/v1/``
with a device token, exactly as an app would. The server only renders the shell (screens marked up
with ``{% translate %}``) and the few sentences the scripts compose at run time, so every word a
person reads comes from the project's translation catalogues.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

# Sentences the scripts put together at run time; %(name)s placeholders are filled in by the script.
MESSAGES = {
    "date": _("%(year)s-%(month)s-%(day)s"),
    "date_year": _("%(year)s-"),
    "date_day": _("%(month)s-%(day)s"),
    "network_lost": _(
        "The connection was lost. Nothing was lost on your phone. Check the network, then tap the button again."
    ),
    "network_lost_upload": _(
        "The connection was lost while sending. Your photo is still on this phone. "
        "Check the network, then tap “Send again”: it will not be counted twice."
    ),
    "server_error": _("Something went wrong on our side. Please try again later or call %(hotline)s."),
    "sending": _("Sending, please wait…"),
    "code_sent": _("A 6-digit code was sent to %(phone)s."),
    "logged_out": _("You are logged out. Please log in again."),
    "no_pensioner": _("This account has no pension of its own. Choose a task below."),
    "face_accepted": _("Done. Your certification went through."),
    "face_review": _("Your photo was received. Staff will check it within a few working days."),
    "face_refused": _("This photo could not be used."),
    "arrived_already": _("Your earlier photo had already arrived. You are certified."),
    "replay_after_loss": _(
        "The earlier photo may have arrived already. Please take a new photo, or check your status first."
    ),
    "no_links": _("You cannot act for anyone yet. Ask for a link below."),
    "link_requested": _("Your request was sent. The office will check it."),
    "link_asks": _("%(name)s (%(phone)s), your %(relationship)s, asks to handle your certification for you."),
    "link_agree": _("Agree"),
    "link_refuse": _("Refuse"),
    "certify_for": _("Certify for %(name)s"),
    "report_sent": _("The report was received (number %(id)s). Payment is paused while the office checks it."),
    "report_retry_same": _("Sending again uses the same report: it will not be filed twice."),
    "photo_ready": _("Photo ready."),
    "no_photo": _("No photo yet."),
    "village_period": _("%(village)s, %(period)s"),
    "period": _("%(year)s-%(month)s"),
    "village_on_time": _("Filed on time"),
    "village_late": _("Filed late"),
    "village_missing": _("Not filed, overdue"),
    "village_not_due": _("Not filed yet"),
    "zero_report_button": _("Nothing changed in %(village)s: file a zero report"),
    "zero_report_done": _("Zero report filed for %(village)s, %(period)s."),
    "report_exists": _("This month's report for %(village)s was already filed."),
    "no_villages": _("You have no villages assigned."),
    "no_history": _("No certification yet."),
    "history_item": _("%(date)s, %(method)s, valid until %(until)s"),
    "chat_you": _("You"),
    "chat_bot": _("Assistant"),
    "chat_call": _("Call %(phone)s"),
    "chat_open_face": _("Open face certification"),
    "chat_open_links": _("Open family links"),
    "search_none": _("Nobody found. Check the name."),
    "relationship_spouse": _("Spouse"),
    "relationship_child": _("Son or daughter"),
    "relationship_child_in_law": _("Son- or daughter-in-law"),
    "relationship_grandchild": _("Grandchild"),
    "relationship_sibling": _("Brother or sister"),
    "relationship_other": _("Other relative"),
    "id_masked": _("ID %(id)s"),
    "field_required": _("Please fill this in."),
    "photo_unreadable": _("This picture cannot be read on this phone. Please take the photo again."),
}


@require_GET
def mobile_client(request: HttpRequest) -> HttpResponse:
    """The shell page. Screens switch in the browser; the API does the work."""
    context = {
        "messages_catalogue": {key: str(text) for key, text in MESSAGES.items()},
        "config": {
            "api": "/api/v1/",
            "hotline": settings.SERVICE_HOTLINE,
            # The face engine works on at most 1600 px (docs/facecheck.md); larger photos only cost upload time.
            "faceMaxSide": 1600,
            "evidenceMaxSide": 2000,
        },
    }
    response = render(request, "selfservice/m/shell.html", context)
    # Everything is served from this origin (no CDN: many are unreachable in mainland China). The policy
    # makes that a rule the browser enforces, and keeps injected scripts out.
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'self'"
    )
    response["Cache-Control"] = "no-cache"
    return response


app_name = "web"
urlpatterns = [path("", mobile_client, name="mobile-client")]
