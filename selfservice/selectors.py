from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.conf import settings
from django.db.models import F, Min, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from backend.dates import add_months
from backend.formats import plain_date
from selfservice.models import Benefit, Certification

BenefitStatus = Pensioner.BenefitStatus


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
class BenefitLine:
    """One benefit as the person reads it: "企业职工基本养老金：正常发放"."""

    kind: str
    kind_label: str
    status: str
    status_label: str
    sentence: str


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
    benefits: list[BenefitLine]


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
        if pensioner.suspension_reason == Pensioner.SuspensionReason.DEATH_REPORT:
            # The most common real cause is a mistaken report: say so, and give the quickest way out.
            return Display(
                _("Pension on hold"),
                (
                    _(
                        "Someone reported that you had died, so your pension is on hold while we check. If this is "
                        "a mistake, certify by face now, or call %(hotline)s."
                    )
                    if for_self
                    else _(
                        "Someone reported that %(name)s had died, so the pension is on hold while we check. If this "
                        "is a mistake, certify by face for them now, or call %(hotline)s."
                    )
                )
                % {"name": name, "hotline": hotline},
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


def _benefit_line(benefit: Benefit) -> BenefitLine:
    label = benefit.get_kind_display()
    if benefit.status == Benefit.Status.ACTIVE:
        sentence = _("%(benefit)s: being paid.") % {"benefit": label}
    elif benefit.status == Benefit.Status.HELD:
        sentence = _("%(benefit)s: on hold while a report is checked.") % {"benefit": label}
    elif benefit.status == Benefit.Status.SUSPENDED:
        sentence = _("%(benefit)s: paused.") % {"benefit": label}
    else:
        sentence = _("%(benefit)s: ended.") % {"benefit": label}
    return BenefitLine(benefit.kind, label, benefit.status, benefit.get_status_display(), sentence)


def certification_status(
    *,
    pensioner: Pensioner,
    today: datetime.date | None = None,
    for_self: bool = True,
    benefits: list[Benefit] | None = None,
) -> CertificationStatus:
    """The one place that derives a pensioner's certification state. One query for the person's
    benefits unless given (``last_certification`` should be select_related by the caller); one
    certification counts for every benefit the person holds. ``for_self`` False when someone
    else reads it: the display then names the pensioner instead of saying "you"."""
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
        benefits=[_benefit_line(b) for b in (benefits if benefits is not None else benefits_of(pensioner=pensioner))]
        if pensioner.pk is not None or benefits is not None
        else [],
    )


def certification_history(*, pensioner: Pensioner) -> QuerySet[Certification]:
    return Certification.objects.filter(pensioner=pensioner).order_by("-certified_at", "-id")


# --- Reminder stages ---------------------------------------------------------------------------


def reminder_stage(*, days_left: int, stages: Iterable[int] | None = None) -> int | None:
    """The stage a person is in: the smallest configured stage not below ``days_left``.

    With stages 30/7/1: 30..8 days left → 30, 7..2 → 7, 1..0 → 1. Using windows rather than exact
    days is what lets a missed daily run catch up on the next one without skipping anybody.
    """
    if days_left < 0:
        return None
    for stage in sorted(stages if stages is not None else settings.SMS_REMINDER_STAGES):
        if days_left <= stage:
            return stage
    return None


# --- Candidate sets ----------------------------------------------------------------------------


def _without_death_reports(queryset: QuerySet[Pensioner]) -> QuerySet[Pensioner]:
    """A reported death holds every payment (``selfservice.benefits``): nobody texts a possibly
    bereaved family while it is verified."""
    return queryset.exclude(suspension_reason=Pensioner.SuspensionReason.DEATH_REPORT)


def pensioners_to_remind(*, today: datetime.date, horizon: int) -> QuerySet[Pensioner]:
    """Active, alive, not on hold, due between today and ``horizon`` days from now."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=BenefitStatus.ACTIVE,
            deceased_on__isnull=True,
            next_due__gte=today,
            next_due__lte=today + datetime.timedelta(days=horizon),
        )
    )


def pensioners_overdue(*, today: datetime.date, grace_days: int) -> QuerySet[Pensioner]:
    """Active and past due, but still inside the grace period (the overdue-notice window)."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=BenefitStatus.ACTIVE,
            deceased_on__isnull=True,
            next_due__gt=today - datetime.timedelta(days=grace_days),
            next_due__lt=today,
        )
    )


def pensioners_to_suspend(*, today: datetime.date, grace_days: int) -> QuerySet[Pensioner]:
    """Active and overdue for the whole grace period."""
    return Pensioner.objects.filter(
        benefit_status=BenefitStatus.ACTIVE,
        deceased_on__isnull=True,
        next_due__lte=today - datetime.timedelta(days=grace_days),
    )


def pensioners_recently_suspended_overdue(*, today: datetime.date, within_days: int) -> QuerySet[Pensioner]:
    """Paused for overdue certification recently: they get how to restore it, once per cycle."""
    return _without_death_reports(
        Pensioner.objects.filter(
            benefit_status=BenefitStatus.SUSPENDED,
            suspension_reason=Pensioner.SuspensionReason.OVERDUE,
            deceased_on__isnull=True,
            status_since__gte=today - datetime.timedelta(days=within_days),
        )
    )


def pensioners_recently_certified(*, today: datetime.date, within_days: int) -> QuerySet[Pensioner]:
    """Whose latest certification rolled the due date forward in the last days (the backstop set).

    A certification on day D gives ``next_due = D + validity``, so the indexed due-date range
    finds them; ``last_certification.valid_until == next_due`` drops new registrations.
    """
    months = settings.CERTIFICATION_VALIDITY_MONTHS
    since = timezone.now() - datetime.timedelta(days=within_days)
    return _without_death_reports(
        Pensioner.objects.filter(
            Q(benefit_status=BenefitStatus.ACTIVE)
            | Q(benefit_status=BenefitStatus.SUSPENDED, suspension_reason=Pensioner.SuspensionReason.OVERDUE),
            deceased_on__isnull=True,
            next_due__gte=add_months(today - datetime.timedelta(days=within_days), months),
            next_due__lte=add_months(today, months),
            last_certification__valid_until=F("next_due"),
            last_certification__created_at__gte=since,
        )
    )


def pensioner_states_for_sms(*, pensioner_ids: Iterable[int]) -> dict[int, tuple[str, str, datetime.date, bool]]:
    """``{pk: (summary status, suspension reason, next due, held)}`` for the send-time check;
    held means a death was reported or recorded, and nobody texts a possibly bereaved family."""
    ids = [pk for pk in pensioner_ids if pk]
    rows = Pensioner.objects.filter(pk__in=ids).values_list(
        "pk", "benefit_status", "suspension_reason", "next_due", "deceased_on"
    )
    return {
        pk: (status, reason, next_due, reason == Pensioner.SuspensionReason.DEATH_REPORT or deceased_on is not None)
        for pk, status, reason, next_due, deceased_on in rows
    }


def benefits_of(*, pensioner: Pensioner) -> list[Benefit]:
    """The person's benefits, oldest first (what the status API and elder mode list)."""
    return list(Benefit.objects.filter(pensioner=pensioner).order_by("start_date", "pk"))


def with_monthly_total(
    queryset: QuerySet[Pensioner], *, started_before: datetime.date | None = None
) -> QuerySet[Pensioner]:
    """Annotate ``monthly_total``: what the person's benefits that have not ended pay a month (those
    started before ``started_before`` when given), and ``first_benefit_start``. The ledger pays the
    person one line a month for all of them."""
    running = Q(benefits__status__in=[Benefit.Status.ACTIVE, Benefit.Status.HELD, Benefit.Status.SUSPENDED])
    if started_before is not None:
        running &= Q(benefits__start_date__lt=started_before)
    return queryset.annotate(
        monthly_total=Sum("benefits__monthly_amount", filter=running),
        first_benefit_start=Min("benefits__start_date"),
    )


def monthly_total_of(*, pensioner: Pensioner) -> Decimal:
    """What the person's benefits that have not ended pay a month, together."""
    running = [Benefit.Status.ACTIVE, Benefit.Status.HELD, Benefit.Status.SUSPENDED]
    total = Benefit.objects.filter(pensioner=pensioner, status__in=running).aggregate(total=Sum("monthly_amount"))
    return total["total"] or Decimal("0.00")
