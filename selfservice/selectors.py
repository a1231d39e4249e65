from __future__ import annotations

import datetime
from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from backend.formats import plain_date
from selfservice.models import Certification


class CertificationState(StrEnum):
    CERTIFIED = "certified"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    SUSPENDED = "suspended"
    TERMINATED = "terminated"
    DECEASED = "deceased"


class PrimaryAction(StrEnum):
    NONE = "none"
    START_FACE_CERTIFICATION = "start_face_certification"
    VIEW_HISTORY = "view_history"
    CALL_HOTLINE = "call_hotline"


@dataclass(frozen=True)
class Display:
    """Elder mode: one short title, one plain sentence, one thing to do (large fonts, read aloud)."""

    title: str
    sentence: str
    action: PrimaryAction
    action_label: str


@dataclass(frozen=True)
class CertificationStatus:
    state: CertificationState
    next_due: datetime.date | None
    days_left: int | None
    last_certified_at: datetime.datetime | None
    last_method: str | None
    last_method_label: str | None
    benefit_status: str
    display: Display


def local_today() -> datetime.date:
    return timezone.localdate()


def _state(pensioner: Pensioner, today: datetime.date) -> CertificationState:
    if pensioner.deceased_on is not None and pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        return CertificationState.DECEASED
    if pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        return CertificationState.TERMINATED
    if pensioner.benefit_status == Pensioner.BenefitStatus.SUSPENDED:
        return CertificationState.SUSPENDED
    if pensioner.next_due < today:
        return CertificationState.OVERDUE
    if (pensioner.next_due - today).days <= settings.CERTIFICATION_DUE_SOON_DAYS:
        return CertificationState.DUE_SOON
    return CertificationState.CERTIFIED


def _display(state: CertificationState, pensioner: Pensioner, days_left: int, *, for_self: bool) -> Display:
    """``for_self`` False: someone else reads it (a relative), so the sentence names the pensioner."""
    due = plain_date(pensioner.next_due)
    hotline = settings.SERVICE_HOTLINE
    name = pensioner.name
    if state == CertificationState.CERTIFIED:
        sentence = (
            _("You have certified. Nothing to do now. Next time is before %(due)s.") % {"due": due}
            if for_self
            else _("%(name)s has certified. Nothing to do now. Next time is before %(due)s.")
            % {"name": name, "due": due}
        )
        return Display(
            _("Certified"),
            sentence,
            PrimaryAction.VIEW_HISTORY,
            _("See my records"),
        )
    if state == CertificationState.DUE_SOON:
        return Display(
            _("Time to certify soon"),
            _("%(days)d days left. Please certify before %(due)s.") % {"days": days_left, "due": due},
            PrimaryAction.START_FACE_CERTIFICATION,
            _("Certify by face now"),
        )
    if state == CertificationState.OVERDUE:
        return Display(
            _("Certification overdue"),
            _("Your certification expired on %(due)s. Please certify now so your pension keeps coming.") % {"due": due}
            if for_self
            else _("The certification of %(name)s expired on %(due)s. Please certify now so the pension keeps coming.")
            % {"name": name, "due": due},
            PrimaryAction.START_FACE_CERTIFICATION,
            _("Certify by face now"),
        )
    if state == CertificationState.SUSPENDED:
        if pensioner.suspension_reason == Pensioner.SuspensionReason.OVERDUE:
            return Display(
                _("Pension paused"),
                _("Your pension is paused because certification expired. Certify now to restore it.")
                if for_self
                else _("The pension of %(name)s is paused because certification expired. Certify now to restore it.")
                % {"name": name},
                PrimaryAction.START_FACE_CERTIFICATION,
                _("Certify by face now"),
            )
        return Display(
            _("Pension paused"),
            (
                _("Your pension is paused while the office checks your case. Please call %(hotline)s.")
                if for_self
                else _("The pension of %(name)s is paused while the office checks the case. Please call %(hotline)s.")
            )
            % {"name": name, "hotline": hotline},
            PrimaryAction.CALL_HOTLINE,
            _("Call %(hotline)s") % {"hotline": hotline},
        )
    if state == CertificationState.DECEASED:
        return Display(
            _("Benefit ended"),
            _("Our condolences. The benefit has ended. For death benefits please call %(hotline)s.")
            % {"hotline": hotline},
            PrimaryAction.CALL_HOTLINE,
            _("Call %(hotline)s") % {"hotline": hotline},
        )
    return Display(
        _("Benefit ended"),
        _("This benefit has ended. For questions please call %(hotline)s.") % {"hotline": hotline},
        PrimaryAction.CALL_HOTLINE,
        _("Call %(hotline)s") % {"hotline": hotline},
    )


def certification_status(
    *, pensioner: Pensioner, today: datetime.date | None = None, for_self: bool = True
) -> CertificationStatus:
    """The one place that derives a pensioner's certification state; no queries beyond the row
    (``last_certification`` should be select_related by the caller). ``for_self`` False when
    someone else reads it: the display then names the pensioner instead of saying "you"."""
    today = today or local_today()
    state = _state(pensioner, today)
    ended = state in (CertificationState.TERMINATED, CertificationState.DECEASED)
    days_left = (pensioner.next_due - today).days
    last = pensioner.last_certification
    return CertificationStatus(
        state=state,
        next_due=None if ended else pensioner.next_due,
        days_left=None if ended else days_left,
        last_certified_at=last.certified_at if last else None,
        last_method=last.method if last else None,
        last_method_label=last.get_method_display() if last else None,
        benefit_status=pensioner.benefit_status,
        display=_display(state, pensioner, days_left, for_self=for_self),
    )


def certification_history(*, pensioner: Pensioner) -> QuerySet[Certification]:
    return Certification.objects.filter(pensioner=pensioner).order_by("-certified_at", "-id")
