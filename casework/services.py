"""Reports from the ground and the back office that acts on them.

Writes only. Every state change locks the rows it depends on, checks the rules here (not in
views or the admin) and appends to the audit log in the same transaction.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import os
import uuid
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import Pensioner, Region, RelativeLink, User, VillageAssignment
from accounts.roles import STAFF_ROLES, Role
from accounts.selectors import user_roles
from accounts.services import add_months, audit_record
from backend.api.errors import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from backend.formats import plain_date
from casework.models import (
    OPEN_STATUSES,
    Case,
    CaseNote,
    DeathReport,
    EvidenceFile,
    MonthlyReport,
    MonthlyReportItem,
    Overpayment,
    OverpaymentRecovery,
    PayeeAccount,
    PaymentLedger,
)
from notifications.services import sms_send

logger = logging.getLogger(__name__)

MONEY = Decimal("0.01")


# --- Calendar helpers ----------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_add(period: datetime.date, months: int) -> datetime.date:
    return add_months(month_start(period), months)


def months_from(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every period (first of month) from ``first`` to ``last`` inclusive."""
    periods, period = [], month_start(first)
    while period <= month_start(last):
        periods.append(period)
        period = month_add(period, 1)
    return periods


def monthly_report_due_on(period: datetime.date) -> datetime.date:
    """A month's report is due on the configured day of the next month (default the 5th)."""
    following = month_add(period, 1)
    due_day = settings.CASEWORK_MONTHLY_REPORT_DUE_DAY
    return following.replace(day=min(due_day, _days_in_month(following)))


def _days_in_month(period: datetime.date) -> int:
    return (month_add(period, 1) - datetime.timedelta(days=1)).day


def pay_date_for(period: datetime.date) -> datetime.date:
    return period.replace(day=min(settings.CASEWORK_PAY_DAY, _days_in_month(period)))


# --- Who may do what -----------------------------------------------------------------------


def staff_in_scope(*, actor: User, pensioner: Pensioner) -> bool:
    """Staff act only inside their region subtree (the division-code prefix)."""
    if not (user_roles(actor) & STAFF_ROLES):
        return False
    if actor.is_superuser:
        return True
    if actor.region_id is None:
        return False
    return pensioner.region.code.startswith(actor.region.prefix)  # type: ignore[union-attr]  # region_id checked


def _ensure_duties_separated(actor: User) -> None:
    """岗位分离: whoever sets benefit amounts may not do certification or case work."""
    if actor.has_perm("accounts.set_benefit_amount"):
        raise ForbiddenError(
            _("Staff who set benefit amounts may not do certification or case work."), code="duties_not_separated"
        )


def _sms(*, to: str | None, text: str, reason: str, pensioner_id: int | None = None) -> None:
    """Queue through the one SMS interface (outbox row in this transaction, unique per reason).

    A failure to queue never undoes the recorded change it is about.
    """
    if not to:
        return
    try:
        with transaction.atomic():
            sms_send(to=to, text=settings.SMS_SIGNATURE + text, reason=reason, pensioner_id=pensioner_id)
    except Exception:  # the report is stored; the SMS layer records and retries its own failures
        logger.exception("SMS for %s could not be queued", reason)


# --- Evidence ------------------------------------------------------------------------------

_SNIFF_BYTES = 4096


def _sniff_content_type(head: bytes) -> str:
    """The type the bytes say they are (libmagic), whatever the file is called."""
    import magic

    try:
        return magic.from_buffer(head, mime=True)
    except Exception:  # unreadable bytes are simply not an allowed type
        return "application/octet-stream"


def _verify_image(upload: UploadedFile[bytes]) -> bool:
    """Decode the image structure, so a JPEG header glued to junk is refused too."""
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            image.verify()
    except Exception:  # any decoder error means "not a usable image"
        return False
    finally:
        upload.seek(0)
    return True


def _verify_pdf(upload: UploadedFile[bytes]) -> bool:
    upload.seek(0)
    head = upload.read(5)
    upload.seek(max(0, upload.size - 1024))  # type: ignore[operator]  # an upload has a size
    tail = upload.read()
    upload.seek(0)
    return head == b"%PDF-" and b"%%EOF" in tail


@transaction.atomic
def evidence_upload(
    *, uploaded_by: User, upload: UploadedFile[bytes], request: HttpRequest | None = None
) -> EvidenceFile:
    """Check a photo or scan by its content and size, then store it privately under MEDIA_ROOT.

    The same uploader sending the same bytes again gets the first record back.
    """
    if upload.size is None or upload.size == 0:
        raise ApplicationError(
            _("The file is empty."), code="evidence_empty", fields={"file": [_("The file is empty.")]}
        )
    max_bytes = settings.CASEWORK_EVIDENCE_MAX_BYTES
    if upload.size > max_bytes:
        message = _("The file is too large; the limit is %(mb)d MB.") % {"mb": max_bytes // (1024 * 1024)}
        raise ApplicationError(message, code="evidence_too_large", status_code=413, fields={"file": [message]})
    upload.seek(0)
    head = upload.read(_SNIFF_BYTES)
    upload.seek(0)
    content_type = _sniff_content_type(head)
    allowed = dict(EvidenceFile.ContentType.choices)
    valid = content_type in allowed and (
        _verify_pdf(upload) if content_type == EvidenceFile.ContentType.PDF else _verify_image(upload)
    )
    if not valid:
        message = _("Only photos (JPEG, PNG) or PDF scans can be uploaded.")
        raise ApplicationError(message, code="evidence_type_not_allowed", status_code=415, fields={"file": [message]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    sha256 = digest.hexdigest()
    existing = EvidenceFile.objects.filter(uploaded_by=uploaded_by, sha256=sha256).first()
    if existing is not None:
        return existing
    upload.seek(0)
    evidence = EvidenceFile(
        uploaded_by=uploaded_by,
        content_type=content_type,
        size=upload.size,
        sha256=sha256,
        original_name=os.path.basename(upload.name or "")[:120],
    )
    evidence.file.save("evidence", upload, save=False)
    try:
        with transaction.atomic():
            evidence.save()
    except IntegrityError:  # the same bytes raced in twice: keep the first, drop our copy
        evidence.file.delete(save=False)
        return EvidenceFile.objects.get(uploaded_by=uploaded_by, sha256=sha256)
    audit_record(
        actor=uploaded_by,
        action="evidence.upload",
        target=evidence,
        details={"content_type": content_type, "size": evidence.size, "sha256": sha256},
        request=request,
    )
    return evidence


def evidence_resolve(*, actor: User, evidence_ids: Sequence[int], field: str = "evidence_ids") -> list[EvidenceFile]:
    """The actor's own uploads; anything else is reported as not found (never someone else's file)."""
    ids = list(dict.fromkeys(evidence_ids or ()))
    if len(ids) > settings.CASEWORK_EVIDENCE_MAX_FILES:
        message = _("At most %(count)d files can be attached.") % {"count": settings.CASEWORK_EVIDENCE_MAX_FILES}
        raise ApplicationError(message, code="too_many_files", fields={field: [message]})
    found = list(EvidenceFile.objects.filter(pk__in=ids, uploaded_by=actor))
    if len(found) != len(ids):
        message = _("Some attached files were not found. Please upload them again.")
        raise ApplicationError(message, code="evidence_not_found", fields={field: [message]})
    return found


# --- Cases: opening ------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *,
    pensioner: Pensioner,
    category: str,
    source: str,
    opened_by: User | None = None,
    summary: str = "",
    details: dict[str, Any] | None = None,
) -> Case:
    """Open a case, or join the open case of the same category so a second report adds to the first."""
    existing = (
        Case.objects.select_for_update()
        .filter(pensioner=pensioner, category=category, status__in=OPEN_STATUSES)
        .first()
    )
    if existing is None:
        try:
            with transaction.atomic():
                case = Case.objects.create(
                    pensioner=pensioner,
                    category=category,
                    source=source,
                    opened_by=opened_by,
                    summary=summary[:300],
                    details={"reports": [details or {}]},
                    deadline=timezone.localdate() + datetime.timedelta(days=settings.CASEWORK_CASE_DEADLINE_DAYS),
                )
        except IntegrityError:  # a concurrent report opened it first: join that one
            existing = Case.objects.select_for_update().get(
                pensioner=pensioner, category=category, status__in=OPEN_STATUSES
            )
        else:
            audit_record(actor=opened_by, action="case.open", target=case, details={"category": category})
            return case
    existing.details.setdefault("reports", []).append(details or {})
    existing.save(update_fields=["details", "updated_at"])
    audit_record(actor=opened_by, action="case.join", target=existing, details={"source": source})
    return existing


# --- Benefit: hold, lift, terminate, suspend, resume ---------------------------------------


def _pensioner_locked(pensioner: Pensioner | int) -> Pensioner:
    pk = pensioner.pk if isinstance(pensioner, Pensioner) else pensioner
    return Pensioner.objects.select_for_update().select_related("region").get(pk=pk)


@transaction.atomic
def benefit_hold(
    *,
    pensioner: Pensioner,
    case: Case,
    actor: User | None,
    reason: str = Pensioner.SuspensionReason.DEATH_REPORT,
    request: HttpRequest | None = None,
) -> bool:
    """Put payment on hold at once while ``case`` is verified; remembers what to restore.

    Idempotent per case: a second report joining the case changes nothing. Returns whether a hold
    was placed now.
    """
    if "hold" in case.details:
        return False
    locked = _pensioner_locked(pensioner)
    if locked.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        raise ConflictError(_("This benefit has already ended."), code="benefit_ended")
    today = timezone.localdate()
    case.details["hold"] = {
        "previous_status": locked.benefit_status,
        "previous_reason": locked.suspension_reason,
        "previous_since": locked.status_since.isoformat(),
        "held_on": today.isoformat(),
        "reason": reason,
    }
    case.save(update_fields=["details", "updated_at"])
    locked.benefit_status = Pensioner.BenefitStatus.SUSPENDED
    locked.suspension_reason = reason
    locked.status_since = today
    locked.save(update_fields=["benefit_status", "suspension_reason", "status_since"])
    audit_record(
        actor=actor,
        action="pensioner.hold",
        target=locked,
        details={"case": case.pk, "reason": reason, "previous_status": case.details["hold"]["previous_status"]},
        request=request,
    )
    pensioner.benefit_status, pensioner.suspension_reason = locked.benefit_status, locked.suspension_reason
    pensioner.status_since = locked.status_since
    return True


def _payee_last4(pensioner: Pensioner) -> str:
    account = PayeeAccount.objects.filter(pensioner=pensioner).first()
    return account.last4 if account else ""


def held_periods_unpaid(*, pensioner: Pensioner, since: datetime.date) -> list[PaymentLedger]:
    """Regular payments held from ``since``'s month on that have no back payment yet."""
    back_paid = PaymentLedger.objects.filter(pensioner=pensioner, kind=PaymentLedger.Kind.BACK_PAY).values("period")
    return list(
        PaymentLedger.objects.filter(
            pensioner=pensioner,
            kind=PaymentLedger.Kind.REGULAR,
            status=PaymentLedger.Status.HELD,
            period__gte=month_start(since),
        )
        .exclude(period__in=back_paid)
        .order_by("period")
    )


def _back_pay(*, pensioner: Pensioner, case: Case, since: datetime.date, actor: User | None) -> dict[str, Any]:
    """Pay every held month from ``since`` on, one back-pay line per month, dated today."""
    held = held_periods_unpaid(pensioner=pensioner, since=since)
    today = timezone.localdate()
    last4 = _payee_last4(pensioner)
    rows = [
        PaymentLedger(
            pensioner=pensioner,
            period=line.period,
            kind=PaymentLedger.Kind.BACK_PAY,
            status=PaymentLedger.Status.PAID,
            amount=line.amount,
            paid_on=today,
            account_last4=last4,
            case=case,
        )
        for line in held
    ]
    PaymentLedger.objects.bulk_create(rows)
    total = sum((row.amount for row in rows), Decimal("0.00"))
    summary = {
        "months": len(rows),
        "amount": str(total.quantize(MONEY)),
        "period_from": rows[0].period.isoformat() if rows else None,
        "period_to": rows[-1].period.isoformat() if rows else None,
        "paid_on": today.isoformat(),
    }
    if rows:
        audit_record(actor=actor, action="ledger.back_pay", target=pensioner, details={"case": case.pk, **summary})
    return summary


def _hold_lift(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """The person is alive: restore the status before the hold and back-pay the months it held."""
    hold = case.details.get("hold")
    if not hold:
        return {"hold_lifted": False}
    locked = _pensioner_locked(case.pensioner_id)
    if not (
        locked.benefit_status == Pensioner.BenefitStatus.SUSPENDED
        and locked.suspension_reason == hold.get("reason", Pensioner.SuspensionReason.DEATH_REPORT)
    ):
        # Something else changed the status since (another decision): leave it to that decision.
        return {"hold_lifted": False, "status_changed_meanwhile": locked.benefit_status}
    previous = hold["previous_status"]
    result: dict[str, Any] = {"hold_lifted": True, "restored_status": previous}
    if previous == Pensioner.BenefitStatus.ACTIVE:
        locked.benefit_status = Pensioner.BenefitStatus.ACTIVE
        locked.suspension_reason = ""
        locked.status_since = timezone.localdate()
        result["back_pay"] = _back_pay(
            pensioner=locked, case=case, since=datetime.date.fromisoformat(hold["held_on"]), actor=actor
        )
    else:
        locked.benefit_status = previous
        locked.suspension_reason = hold["previous_reason"]
        locked.status_since = datetime.date.fromisoformat(hold["previous_since"])
    locked.save(update_fields=["benefit_status", "suspension_reason", "status_since"])
    audit_record(actor=actor, action="pensioner.hold_lift", target=locked, details={"case": case.pk}, request=request)
    if previous == Pensioner.BenefitStatus.ACTIVE:
        amount = result["back_pay"]["amount"]
        _sms(
            to=locked.phone,
            pensioner_id=locked.pk,
            reason=f"hold_lifted:{case.pk}",
            text=_(
                "Your pension payment has been restored after verification. Held payments of %(amount)s yuan "
                "will be paid to your account. Questions: call %(hotline)s."
            )
            % {"amount": amount, "hotline": settings.SERVICE_HOTLINE},
        )
    return result


def death_overpayment_figures(*, pensioner: Pensioner, date_of_death: datetime.date) -> dict[str, Any]:
    """What was paid for months after the month of death, and what was held up to it.

    The benefit is due up to and including the month of death (a death on the 1st or the 31st
    both count the whole month); everything paid for later months is overpaid.
    """
    terminate_from = month_add(date_of_death, 1)
    paid_after = PaymentLedger.objects.filter(
        pensioner=pensioner, status=PaymentLedger.Status.PAID, period__gte=terminate_from
    )
    periods = sorted(set(paid_after.values_list("period", flat=True)))
    overpaid = paid_after.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    held_due = held_periods_unpaid(pensioner=pensioner, since=datetime.date.min)
    arrears = sum((line.amount for line in held_due if line.period < terminate_from), Decimal("0.00"))
    return {
        "terminated_from": terminate_from,
        "overpaid_amount": overpaid.quantize(MONEY),
        "overpaid_periods": periods,
        "arrears_to_estate": arrears.quantize(MONEY),
    }


def _death_confirm(
    *, case: Case, actor: User, date_of_death: datetime.date, request: HttpRequest | None
) -> dict[str, Any]:
    locked = _pensioner_locked(case.pensioner_id)
    if locked.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        raise ConflictError(_("This benefit has already ended."), code="benefit_ended")
    figures = death_overpayment_figures(pensioner=locked, date_of_death=date_of_death)
    locked.benefit_status = Pensioner.BenefitStatus.TERMINATED
    locked.suspension_reason = ""
    locked.deceased_on = date_of_death
    locked.status_since = figures["terminated_from"]
    locked.save(update_fields=["benefit_status", "suspension_reason", "deceased_on", "status_since"])
    audit_record(
        actor=actor,
        action="pensioner.terminate",
        target=locked,
        details={"case": case.pk, "date_of_death": date_of_death.isoformat(), "from": locked.status_since.isoformat()},
        request=request,
    )
    result: dict[str, Any] = {
        "date_of_death": date_of_death.isoformat(),
        "terminated_from": figures["terminated_from"].isoformat(),
        "overpaid_amount": str(figures["overpaid_amount"]),
        "overpaid_months": len(figures["overpaid_periods"]),
        "arrears_to_estate": str(figures["arrears_to_estate"]),
    }
    if figures["overpaid_amount"] > 0:
        overpayment = Overpayment.objects.create(
            pensioner=locked,
            case=case,
            period_from=figures["overpaid_periods"][0],
            period_to=figures["overpaid_periods"][-1],
            months=len(figures["overpaid_periods"]),
            amount=figures["overpaid_amount"],
        )
        audit_record(
            actor=actor,
            action="overpayment.record",
            target=overpayment,
            details={"amount": str(overpayment.amount), "months": overpayment.months},
            pensioner_id=locked.pk,
        )
        result["overpayment_id"] = overpayment.pk
    _family_death_benefit_sms(case=case, pensioner=locked, overpaid=figures["overpaid_amount"])
    return result


def _family_death_benefit_sms(*, case: Case, pensioner: Pensioner, overpaid: Decimal) -> None:
    """Tell the family about the one-off death benefits and closing the account (one SMS per phone)."""
    phones = set(
        RelativeLink.objects.filter(pensioner=pensioner, status=RelativeLink.Status.APPROVED)
        .exclude(relative__phone__isnull=True)
        .values_list("relative__phone", flat=True)
    )
    phones |= {
        phone
        for phone in DeathReport.objects.filter(case=case, capacity=DeathReport.Capacity.RELATIVE).values_list(
            "reporter__phone", flat=True
        )
        if phone
    }
    office = pensioner.region.parent.service_phone if pensioner.region.parent_id else ""  # type: ignore[union-attr]
    text = _(
        "Our condolences. The pension of %(name)s ended after the month of death. The family may claim the "
        "one-off funeral grant and survivor benefit and close the pension account at the social insurance "
        "office with the death certificate. Call %(hotline)s for help."
    ) % {"name": pensioner.name, "hotline": office or settings.SERVICE_HOTLINE}
    if overpaid > 0:
        text += _(" %(amount)s yuan paid after the month of death must be returned.") % {"amount": overpaid}
    for phone in sorted(phones):  # type: ignore[type-var]  # empty phones filtered out above
        _sms(to=phone, text=text, reason=f"death_benefits:{case.pk}:{phone}", pensioner_id=pensioner.pk)


def benefit_suspend(
    *,
    pensioner: Pensioner,
    reason: str,
    actor: User | None,
    request: HttpRequest | None = None,
    details: dict[str, Any] | None = None,
) -> bool:
    """Stop payment: the one suspension service (back office cases and the overdue schedule).

    Locks the row; a terminated benefit stays terminated. Returns whether the status changed now.
    """
    locked = _pensioner_locked(pensioner)
    if locked.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        return False
    locked.benefit_status = Pensioner.BenefitStatus.SUSPENDED
    locked.suspension_reason = reason
    locked.status_since = timezone.localdate()
    locked.save(update_fields=["benefit_status", "suspension_reason", "status_since"])
    audit_record(
        actor=actor,
        action="pensioner.suspend",
        target=locked,
        details={"reason": reason, **(details or {})},
        request=request,
    )
    pensioner.benefit_status, pensioner.suspension_reason = locked.benefit_status, locked.suspension_reason
    pensioner.status_since = locked.status_since
    return True


def _suspend_for_case(*, case: Case, actor: User, request: HttpRequest | None) -> dict[str, Any]:
    """Imprisonment, missing, lost nationality, duplicate receipt confirmed: stop payment pending the
    final decision on entitlement (which this system does not take)."""
    suspended = benefit_suspend(
        pensioner=case.pensioner,
        reason=Pensioner.SuspensionReason.CASE,
        actor=actor,
        request=request,
        details={"case": case.pk},
    )
    if not suspended:
        return {"suspended": False, "status": Pensioner.BenefitStatus.TERMINATED}
    return {"suspended": True}


def resumption_checks(*, case: Case) -> dict[str, Any]:
    """What the reviewer must see before restoring payment: dates, amounts, bank account.

    Computed from the ledger and the payee account as they are now (the figures at approval are
    stored on the case).
    """
    pensioner = case.pensioner
    suspension = case.details.get("suspension", {})
    since = datetime.date.fromisoformat(suspension["since"]) if suspension.get("since") else pensioner.status_since
    held = held_periods_unpaid(pensioner=pensioner, since=since)
    total = sum((line.amount for line in held), Decimal("0.00"))
    last_paid = (
        PaymentLedger.objects.filter(
            pensioner=pensioner, status=PaymentLedger.Status.PAID, period__lt=month_start(since)
        )
        .order_by("-period", "-paid_on")
        .first()
    )
    account = PayeeAccount.objects.filter(pensioner=pensioner).first()
    on_file = account.last4 if account else ""
    changed_during = bool(account and timezone.localdate(account.changed_at) >= since)
    amounts = {line.amount for line in held}
    return {
        "suspended_since": since.isoformat(),
        "months_suspended": len(months_from(since, timezone.localdate())) - 1,
        "requires_city_review": case.requires_city_review,
        "back_pay": {
            "period_from": held[0].period.isoformat() if held else None,
            "period_to": held[-1].period.isoformat() if held else None,
            "months": len(held),
            "amount": str(total.quantize(MONEY)),
        },
        "amount": {
            "monthly_amount_now": str(pensioner.monthly_amount),
            "last_paid_amount": str(last_paid.amount) if last_paid else None,
            "consistent": amounts <= {pensioner.monthly_amount}
            and (last_paid is None or last_paid.amount == pensioner.monthly_amount),
        },
        "bank_account": {
            "on_file": f"****{on_file}" if on_file else None,
            "last_paid_to": f"****{last_paid.account_last4}" if last_paid and last_paid.account_last4 else None,
            "changed_during_suspension": changed_during,
            "consistent": bool(on_file)
            and not changed_during
            and (last_paid is None or not last_paid.account_last4 or last_paid.account_last4 == on_file),
        },
    }


def _resume(*, case: Case, actor: User, checks_confirmed: bool, request: HttpRequest | None) -> dict[str, Any]:
    if case.requires_city_review:
        region = actor.region
        if not actor.is_superuser and (region is None or region.level > Region.Level.CITY):
            raise ForbiddenError(
                _("A suspension of more than 12 months can only be lifted by a reviewer at city level or above."),
                code="city_review_required",
            )
        if not checks_confirmed:
            raise ApplicationError(
                _("Please confirm that you checked the back-pay dates, the amount and the bank account."),
                code="checks_not_confirmed",
                fields={"checks_confirmed": [_("Required for this case.")]},
            )
    locked = _pensioner_locked(case.pensioner_id)
    if locked.benefit_status != Pensioner.BenefitStatus.SUSPENDED:
        raise ConflictError(_("The benefit is not suspended any more."), code="benefit_not_suspended")
    case.pensioner = locked
    checks = resumption_checks(case=case)
    since = datetime.date.fromisoformat(checks["suspended_since"])
    back_pay = _back_pay(pensioner=locked, case=case, since=since, actor=actor)
    locked.benefit_status = Pensioner.BenefitStatus.ACTIVE
    locked.suspension_reason = ""
    locked.status_since = timezone.localdate()
    locked.save(update_fields=["benefit_status", "suspension_reason", "status_since"])
    audit_record(
        actor=actor,
        action="pensioner.resume",
        target=locked,
        details={"case": case.pk, "back_pay": back_pay["amount"], "checks_confirmed": checks_confirmed},
        request=request,
    )
    _sms(
        to=locked.phone,
        pensioner_id=locked.pk,
        reason=f"resumed:{case.pk}",
        text=_(
            "Your pension has been restored. Back payment of %(amount)s yuan for %(months)d months will be paid "
            "to your account. Questions: call %(hotline)s."
        )
        % {"amount": back_pay["amount"], "months": back_pay["months"], "hotline": settings.SERVICE_HOTLINE},
    )
    return {"resumed": True, "checks_at_approval": checks, "back_pay": back_pay}


def resumption_case_for_certification(*, pensioner: Pensioner, certification: Any) -> Case | None:
    """Called by certification_record: a suspended pensioner proved to be alive again.

    Overdue (or otherwise) suspended → open a resumption case with the suspension start. On hold
    because of a death report or a case → no resumption; the open cases get a note instead, since
    the proof of life is exactly what their verification needs.
    """
    if pensioner.benefit_status != Pensioner.BenefitStatus.SUSPENDED:
        return None
    certified_on = timezone.localdate(certification.certified_at)
    if pensioner.suspension_reason in (Pensioner.SuspensionReason.DEATH_REPORT, Pensioner.SuspensionReason.CASE):
        text = _("A certification (%(method)s) was recorded on %(date)s while payment is on hold.") % {
            "method": certification.get_method_display(),
            "date": certified_on.isoformat(),
        }
        for case in Case.objects.filter(pensioner=pensioner, status__in=OPEN_STATUSES):
            CaseNote.objects.create(case=case, author=None, text=text)
            audit_record(actor=None, action="case.note", target=case, details={"certification": certification.pk})
        return None
    since = pensioner.status_since
    source = {
        "silent": Case.Source.DATA_COMPARISON,
        "face": Case.Source.FACE_CHECK,
        "proxy_face": Case.Source.FACE_CHECK,
    }.get(certification.method, Case.Source.STAFF)
    case = case_open(
        pensioner=pensioner,
        category=Case.Category.RESUMPTION,
        source=source,
        opened_by=certification.recorded_by,
        summary=_("Certified again after suspension since %(date)s") % {"date": plain_date(since)},
        details={
            "type": "certification",
            "certification_id": certification.pk,
            "method": certification.method,
            "certified_on": certified_on.isoformat(),
        },
    )
    case.details["suspension"] = {"since": since.isoformat(), "reason": pensioner.suspension_reason}
    case.requires_city_review = case.requires_city_review or certified_on > add_months(since, 12)
    case.save(update_fields=["details", "requires_city_review", "updated_at"])
    return case


# --- Death reports -------------------------------------------------------------------------


def _reporter_capacity(*, reporter: User, pensioner: Pensioner) -> tuple[str, str | None]:
    """How ``reporter`` may report this death (staff in scope, the village's assistant, an
    approved relative) and the relationship we know; 404 for anyone else."""
    roles = user_roles(reporter)
    if roles & STAFF_ROLES and staff_in_scope(actor=reporter, pensioner=pensioner):
        return DeathReport.Capacity.STAFF, DeathReport.Relationship.STAFF
    if (
        Role.VILLAGE_ASSISTANT in roles
        and VillageAssignment.objects.filter(user=reporter, village_id=pensioner.region_id).exists()
    ):
        return DeathReport.Capacity.VILLAGE_ASSISTANT, DeathReport.Relationship.VILLAGE_ASSISTANT
    link = RelativeLink.objects.filter(
        relative=reporter, pensioner=pensioner, status=RelativeLink.Status.APPROVED
    ).first()
    if link is not None and pensioner.user_id != reporter.pk:
        return DeathReport.Capacity.RELATIVE, link.relationship
    raise NotFoundError()


def _validate_event_date(*, day: datetime.date, pensioner: Pensioner, field: str) -> None:
    if day > timezone.localdate():
        message = _("The date cannot be in the future.")
        raise ApplicationError(message, code="date_in_future", fields={field: [message]})
    if day < pensioner.birth_date:
        message = _("The date is before the person's birth date.")
        raise ApplicationError(message, code="date_before_birth", fields={field: [message]})


def death_report_submit(
    *,
    reporter: User,
    pensioner_id: int,
    date_of_death: datetime.date,
    place: str,
    client_request_id: uuid.UUID,
    relationship: str | None = None,
    note: str = "",
    evidence_ids: Sequence[int] = (),
    request: HttpRequest | None = None,
) -> tuple[DeathReport, bool]:
    """Record a death report: hold payment at once, open (or join) the suspected-death case, and
    acknowledge by SMS. Returns ``(report, created)``; a retry with the same request id returns the
    first report unchanged."""
    replay = _death_report_replay(reporter=reporter, client_request_id=client_request_id, pensioner_id=pensioner_id)
    if replay is not None:
        return replay, False
    pensioner = Pensioner.objects.select_related("region").filter(pk=pensioner_id).first()
    if pensioner is None:
        raise NotFoundError()
    capacity, known_relationship = _reporter_capacity(reporter=reporter, pensioner=pensioner)
    if pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        raise ConflictError(_("This benefit has already ended."), code="benefit_ended")
    _validate_event_date(day=date_of_death, pensioner=pensioner, field="date_of_death")
    if not place.strip():
        raise ApplicationError(fields={"place": [_("Please say where the person died.")]}, code="invalid")
    evidence = evidence_resolve(actor=reporter, evidence_ids=evidence_ids)
    source = {
        DeathReport.Capacity.RELATIVE: Case.Source.RELATIVE,
        DeathReport.Capacity.VILLAGE_ASSISTANT: Case.Source.VILLAGE_REPORT,
        DeathReport.Capacity.STAFF: Case.Source.STAFF,
    }[capacity]  # type: ignore[index]  # capacity is a Capacity value
    try:
        with transaction.atomic():
            case = case_open(
                pensioner=pensioner,
                category=Case.Category.SUSPECTED_DEATH,
                source=source,
                opened_by=reporter,
                summary=_("Death reported on %(date)s") % {"date": plain_date(date_of_death)},
                details={
                    "type": "death_report",
                    "reporter_id": reporter.pk,
                    "capacity": capacity,
                    "date_of_death": date_of_death.isoformat(),
                    "place": place.strip()[:200],
                },
            )
            report = DeathReport.objects.create(
                pensioner=pensioner,
                reporter=reporter,
                capacity=capacity,
                relationship=relationship or known_relationship or DeathReport.Relationship.OTHER_RELATIVE,
                date_of_death=date_of_death,
                place=place.strip()[:200],
                note=note.strip()[:1000],
                client_request_id=client_request_id,
                case=case,
            )
            report.evidence.set(evidence)
            case.evidence.add(*evidence)
            benefit_hold(pensioner=pensioner, case=case, actor=reporter, request=request)
            audit_record(
                actor=reporter,
                action="death_report.submit",
                target=report,
                details={"case": case.pk, "capacity": capacity, "evidence": [e.pk for e in evidence]},
                request=request,
            )
            _sms(
                to=reporter.phone,
                pensioner_id=pensioner.pk,
                reason=f"death_report_ack:{report.pk}",
                text=_(
                    "We received your report of the death of %(name)s (case no. %(case)d). Payment is on hold "
                    "while we verify; we will tell you the result by SMS."
                )
                % {"name": pensioner.name, "case": case.pk},
            )
    except IntegrityError:
        replay = _death_report_replay(reporter=reporter, client_request_id=client_request_id, pensioner_id=pensioner_id)
        if replay is None:
            raise
        return replay, False
    return report, True


def _death_report_replay(*, reporter: User, client_request_id: uuid.UUID, pensioner_id: int) -> DeathReport | None:
    existing = DeathReport.objects.filter(reporter=reporter, client_request_id=client_request_id).first()
    if existing is not None and existing.pensioner_id != int(pensioner_id):
        raise ConflictError(_("This request id was already used for another submission."), code="request_id_reused")
    return existing


# --- Monthly village reports ---------------------------------------------------------------

EVENT_CATEGORY = {
    MonthlyReportItem.Event.DEATH: Case.Category.SUSPECTED_DEATH,
    MonthlyReportItem.Event.IMPRISONMENT: Case.Category.IMPRISONED,
    MonthlyReportItem.Event.MISSING: Case.Category.MISSING,
    MonthlyReportItem.Event.MOVED_AWAY: Case.Category.ONSITE_VISIT,
    MonthlyReportItem.Event.DUPLICATE_RECEIPT: Case.Category.DUPLICATE_RECEIPT,
    MonthlyReportItem.Event.OTHER: Case.Category.ONSITE_VISIT,
}


def _assigned_village(*, actor: User, village_id: int) -> Region:
    assignment = VillageAssignment.objects.select_related("village").filter(user=actor, village_id=village_id).first()
    if assignment is None or Role.VILLAGE_ASSISTANT not in user_roles(actor):
        raise NotFoundError()
    return assignment.village


def _validate_report_body(
    *, actor: User, village: Region, is_zero: bool, items: Sequence[dict[str, Any]]
) -> list[tuple[dict[str, Any], Pensioner, list[EvidenceFile]]]:
    if is_zero and items:
        raise ApplicationError(
            _("A zero report cannot list anyone. Remove the entries or report them normally."),
            code="zero_report_has_items",
            fields={"items": [_("Must be empty for a zero report.")]},
        )
    if not is_zero and not items:
        raise ApplicationError(
            _("The report lists nobody. If nothing happened this month, submit a zero report."),
            code="report_empty",
            fields={"items": [_("Add at least one entry, or mark the report as a zero report.")]},
        )
    pensioners = {
        p.pk: p
        for p in Pensioner.objects.select_related("region").filter(pk__in=[item["pensioner_id"] for item in items])
    }
    seen: set[tuple[int, str]] = set()
    errors: dict[str, Any] = {}
    resolved = []
    for index, item in enumerate(items):
        pensioner = pensioners.get(item["pensioner_id"])
        key = (item["pensioner_id"], item["event"])
        if pensioner is None or pensioner.region_id != village.pk:
            errors[f"items[{index}].pensioner_id"] = [_("This person is not registered in this village.")]
            continue
        if key in seen:
            errors[f"items[{index}]"] = [_("The same person and event are listed twice.")]
            continue
        seen.add(key)
        if pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
            errors[f"items[{index}].pensioner_id"] = [_("This person's benefit has already ended.")]
            continue
        try:
            _validate_event_date(day=item["event_date"], pensioner=pensioner, field=f"items[{index}].event_date")
            evidence = evidence_resolve(
                actor=actor, evidence_ids=item.get("evidence_ids", ()), field=f"items[{index}].evidence_ids"
            )
        except ApplicationError as exc:
            errors.update(exc.fields)
            continue
        resolved.append((item, pensioner, evidence))
    if errors:
        raise ApplicationError(_("Some entries of the report are not correct."), code="invalid", fields=errors)
    return resolved


def _item_case(
    *, item: MonthlyReportItem, actor: User, evidence: list[EvidenceFile], request: HttpRequest | None
) -> Case:
    case = case_open(
        pensioner=item.pensioner,
        category=EVENT_CATEGORY[item.event],  # type: ignore[index]  # a MonthlyReportItem.Event value
        source=Case.Source.VILLAGE_REPORT,
        opened_by=actor,
        summary=_("Village report %(period)s: %(event)s")
        % {"period": item.report.period.strftime("%Y-%m"), "event": item.get_event_display()},
        details={
            "type": "monthly_report_item",
            "report_id": item.report_id,
            "version": item.report.version,
            "event": item.event,
            "event_date": item.event_date.isoformat(),
            "note": item.note,
        },
    )
    if item.event == MonthlyReportItem.Event.DEATH:
        benefit_hold(pensioner=item.pensioner, case=case, actor=actor, request=request)
    return case


def _report_replay(*, actor: User, client_request_id: uuid.UUID) -> MonthlyReport | None:
    return MonthlyReport.objects.filter(submitted_by=actor, client_request_id=client_request_id).first()


def _report_items_create(
    *,
    report: MonthlyReport,
    actor: User,
    resolved: list[tuple[dict[str, Any], Pensioner, list[EvidenceFile]]],
    previous: MonthlyReport | None,
    request: HttpRequest | None,
) -> None:
    previous_cases = {}
    if previous is not None:
        previous_cases = {(i.pensioner_id, i.event): i.case for i in previous.items.select_related("case")}
    for data, pensioner, evidence in resolved:
        item = MonthlyReportItem.objects.create(
            report=report,
            pensioner=pensioner,
            event=data["event"],
            event_date=data["event_date"],
            note=(data.get("note") or "").strip()[:500],
        )
        item.evidence.set(evidence)
        case = previous_cases.pop((pensioner.pk, data["event"]), None)
        if case is None or case.status not in OPEN_STATUSES:
            case = _item_case(item=item, actor=actor, evidence=evidence, request=request)
        item.case = case
        item.save(update_fields=["case"])
        case.evidence.add(*evidence)
    for (_pensioner_id, event), case in previous_cases.items():
        if case is not None and case.status in OPEN_STATUSES:
            CaseNote.objects.create(
                case=case,
                author=actor,
                text=_("The %(event)s entry was withdrawn in version %(version)d of the village report.")
                % {"event": MonthlyReportItem.Event(event).label, "version": report.version},
            )
            audit_record(actor=actor, action="case.note", target=case, details={"report": report.pk})


def monthly_report_submit(
    *,
    actor: User,
    village_id: int,
    period: datetime.date,
    is_zero: bool,
    items: Sequence[dict[str, Any]],
    client_request_id: uuid.UUID,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[MonthlyReport, bool]:
    """File the first version of a village's report for ``period`` (a zero report if nothing happened).

    One report per village and month: if one exists, it must be amended instead.
    """
    replay = _report_replay(actor=actor, client_request_id=client_request_id)
    if replay is not None:
        return replay, False
    village = _assigned_village(actor=actor, village_id=village_id)
    period = month_start(period)
    if period > month_start(timezone.localdate()):
        message = _("A report cannot be filed for a future month.")
        raise ApplicationError(message, code="period_in_future", fields={"period": [message]})
    resolved = _validate_report_body(actor=actor, village=village, is_zero=is_zero, items=items)
    now = timezone.now()
    try:
        with transaction.atomic():
            current = MonthlyReport.objects.filter(village=village, period=period, is_current=True).first()
            if current is not None:
                raise ConflictError(
                    _("This month's report was already submitted. Amend it instead."),
                    code="report_exists",
                    extra={"report_id": current.pk},
                )
            report = MonthlyReport.objects.create(
                village=village,
                period=period,
                version=1,
                is_zero=is_zero,
                note=note.strip()[:1000],
                due_on=monthly_report_due_on(period),
                submitted_by=actor,
                submitted_at=now,
                first_submitted_at=now,
                client_request_id=client_request_id,
            )
            _report_items_create(report=report, actor=actor, resolved=resolved, previous=None, request=request)
            audit_record(
                actor=actor,
                action="monthly_report.submit",
                target=report,
                details={
                    "village": village.code,
                    "period": period.isoformat(),
                    "zero": is_zero,
                    "late": report.is_late,
                },
                request=request,
            )
    except IntegrityError:
        replay = _report_replay(actor=actor, client_request_id=client_request_id)
        if replay is not None:
            return replay, False
        current = MonthlyReport.objects.filter(village=village, period=period, is_current=True).first()
        raise ConflictError(
            _("This month's report was already submitted. Amend it instead."),
            code="report_exists",
            extra={"report_id": current.pk if current else None},
        ) from None
    return report, True


def monthly_report_amend(
    *,
    actor: User,
    report_id: int,
    is_zero: bool,
    items: Sequence[dict[str, Any]],
    client_request_id: uuid.UUID,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[MonthlyReport, bool]:
    """Replace the current version by a new one; the old version stays readable as it was."""
    replay = _report_replay(actor=actor, client_request_id=client_request_id)
    if replay is not None:
        return replay, False
    try:
        with transaction.atomic():
            previous = MonthlyReport.objects.select_for_update().filter(pk=report_id).first()
            if previous is None:
                raise NotFoundError()
            village = _assigned_village(actor=actor, village_id=previous.village_id)
            if not previous.is_current:
                raise ConflictError(
                    _("A newer version of this report exists. Amend the latest version."),
                    code="report_superseded",
                    extra={
                        "report_id": MonthlyReport.objects.get(
                            village=previous.village, period=previous.period, is_current=True
                        ).pk
                    },
                )
            resolved = _validate_report_body(actor=actor, village=village, is_zero=is_zero, items=items)
            previous.is_current = False
            previous.save(update_fields=["is_current"])
            report = MonthlyReport.objects.create(
                village=village,
                period=previous.period,
                version=previous.version + 1,
                is_zero=is_zero,
                supersedes=previous,
                note=note.strip()[:1000],
                due_on=previous.due_on,
                submitted_by=actor,
                submitted_at=timezone.now(),
                first_submitted_at=previous.first_submitted_at,
                client_request_id=client_request_id,
            )
            _report_items_create(report=report, actor=actor, resolved=resolved, previous=previous, request=request)
            audit_record(
                actor=actor,
                action="monthly_report.amend",
                target=report,
                details={"amends": previous.pk, "version": report.version, "zero": is_zero},
                request=request,
            )
    except IntegrityError:
        replay = _report_replay(actor=actor, client_request_id=client_request_id)
        if replay is not None:
            return replay, False
        raise ConflictError(
            _("A newer version of this report exists. Amend the latest version."), code="report_superseded"
        ) from None
    return report, True


# --- Cases: two-level approval -------------------------------------------------------------

ACTION_LABELS = {
    "assign": pgettext_lazy("case step", "assign"),
    "accept": pgettext_lazy("case step", "accept"),
    "approve": pgettext_lazy("case step", "approve"),
    "reject": pgettext_lazy("case step", "reject"),
    "close": pgettext_lazy("case step", "close"),
}


def _case_locked(case: Case | int) -> Case:
    pk = case.pk if isinstance(case, Case) else case
    return Case.objects.select_for_update().select_related("pensioner__region").get(pk=pk)


def case_step_guard(*, case: Case, actor: User, roles_allowed: set[Role], allow_assignee: bool = False) -> None:
    """Scope (404 outside the subtree), separation of duties, then role membership (403)."""
    if not staff_in_scope(actor=actor, pensioner=case.pensioner):
        raise NotFoundError()
    _ensure_duties_separated(actor)
    if allow_assignee and case.assignee_id == actor.pk:
        return
    if not (user_roles(actor) & roles_allowed):
        raise ForbiddenError(_("Your role cannot take this step on a case."), code="case_role_required")


def _invalid_transition(case: Case, action: str) -> ConflictError:
    if action in ("approve", "reject") and case.status == Case.Status.OPEN:
        return ConflictError(
            _("A caseworker must accept this case before it can be reviewed."), code="case_not_accepted"
        )
    return ConflictError(
        _('This case is %(status)s; the step "%(action)s" is not possible now.')
        % {"status": case.get_status_display(), "action": ACTION_LABELS[action]},
        code="case_invalid_transition",
        extra={"status": case.status},
    )


def _case_transition_audit(*, case: Case, actor: User, action: str, note: str, request: HttpRequest | None) -> None:
    if note:
        CaseNote.objects.create(case=case, author=actor, text=note)
    audit_record(
        actor=actor,
        action=f"case.{action}",
        target=case,
        details={"status": case.status, "note": note},
        request=request,
    )


@transaction.atomic
def case_assign(
    *,
    case: Case,
    actor: User,
    assignee: User,
    deadline: datetime.date | None = None,
    request: HttpRequest | None = None,
) -> Case:
    """Route an open case to a caseworker who may work it (in scope, not setting amounts)."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER})
    if case.status != Case.Status.OPEN:
        raise _invalid_transition(case, "assign")
    if (
        Role.CASEWORKER not in user_roles(assignee)
        or not assignee.is_active
        or not staff_in_scope(actor=assignee, pensioner=case.pensioner)
        or assignee.has_perm("accounts.set_benefit_amount")
    ):
        message = _("This person cannot work on this case.")
        raise ApplicationError(message, code="assignee_not_eligible", fields={"assignee_id": [message]})
    if deadline is not None and deadline < timezone.localdate():
        message = _("The deadline cannot be in the past.")
        raise ApplicationError(message, code="deadline_in_past", fields={"deadline": [message]})
    case.assignee = assignee
    if deadline is not None:
        case.deadline = deadline
    case.save(update_fields=["assignee", "deadline", "updated_at"])
    audit_record(
        actor=actor,
        action="case.assign",
        target=case,
        details={"assignee": assignee.pk, "deadline": case.deadline.isoformat() if case.deadline else None},
        request=request,
    )
    return case


@transaction.atomic
def case_accept(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """受理: a caseworker (or the assignee) takes the case on; the first of the two levels."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER}, allow_assignee=True)
    if case.status != Case.Status.OPEN:
        raise _invalid_transition(case, "accept")
    case.status = Case.Status.ACCEPTED
    case.accepted_by = actor
    case.accepted_at = timezone.now()
    if case.assignee_id is None:
        case.assignee = actor
    case.save(update_fields=["status", "accepted_by", "accepted_at", "assignee", "updated_at"])
    _case_transition_audit(case=case, actor=actor, action="accept", note=note, request=request)
    return case


def case_review_guard(*, case: Case, actor: User, action: str) -> None:
    case_step_guard(case=case, actor=actor, roles_allowed={Role.REVIEWER})
    if case.status != Case.Status.ACCEPTED:
        raise _invalid_transition(case, action)
    if actor.pk in (case.accepted_by_id, case.opened_by_id):
        raise ForbiddenError(
            _("You accepted or reported this case; another person must review it."), code="maker_checker"
        )


def _reported_date_of_death(case: Case) -> datetime.date | None:
    dates = {
        report.get("date_of_death") or (report.get("event_date") if report.get("event") == "death" else None)
        for report in case.details.get("reports", [])
    } - {None}
    return datetime.date.fromisoformat(dates.pop()) if len(dates) == 1 else None  # type: ignore[arg-type]


@transaction.atomic
def case_approve(
    *,
    case: Case,
    actor: User,
    note: str = "",
    date_of_death: datetime.date | None = None,
    checks_confirmed: bool = False,
    request: HttpRequest | None = None,
) -> Case:
    """审核通过: a reviewer other than the acceptor confirms the finding, and its consequence
    (termination, suspension, resumption with back pay) is applied in the same transaction.

    The case row is locked first, so of two reviewers approving at once the second sees the
    decided case and gets a conflict.
    """
    case = _case_locked(case)
    case_review_guard(case=case, actor=actor, action="approve")
    if case.category == Case.Category.SUSPECTED_DEATH:
        date_of_death = date_of_death or _reported_date_of_death(case)
        if date_of_death is None:
            message = _("The reports give different dates of death; please enter the confirmed date.")
            raise ApplicationError(message, code="date_of_death_required", fields={"date_of_death": [message]})
        _validate_event_date(day=date_of_death, pensioner=case.pensioner, field="date_of_death")
        outcome = _death_confirm(case=case, actor=actor, date_of_death=date_of_death, request=request)
    elif case.category == Case.Category.RESUMPTION:
        outcome = _resume(case=case, actor=actor, checks_confirmed=checks_confirmed, request=request)
    elif case.category in (Case.Category.FACE_REVIEW, Case.Category.ONSITE_VISIT):
        outcome = {}
    else:
        outcome = _suspend_for_case(case=case, actor=actor, request=request)
    return _case_decide(
        case=case, actor=actor, status=Case.Status.APPROVED, note=note, outcome=outcome, request=request
    )


def _case_decide(
    *, case: Case, actor: User, status: str, note: str, outcome: dict[str, Any], request: HttpRequest | None
) -> Case:
    """Record the reviewer's decision (approve or reject) and audit it."""
    case.status = status
    case.decided_by = actor
    case.decided_at = timezone.now()
    case.outcome = note.strip()[:500]
    decision = "approved" if status == Case.Status.APPROVED else "rejected"
    case.details["outcome"] = {"decision": decision, **outcome}
    case.save(update_fields=["status", "decided_by", "decided_at", "outcome", "details", "updated_at"])
    _case_transition_audit(
        case=case, actor=actor, action="approve" if decision == "approved" else "reject", note=note, request=request
    )
    return case


@transaction.atomic
def case_reject(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """审核不通过: the suspicion is not confirmed; a hold the case placed is lifted with back pay."""
    case = _case_locked(case)
    case_review_guard(case=case, actor=actor, action="reject")
    if not note.strip():
        message = _("Please give the reason for rejecting.")
        raise ApplicationError(message, code="reason_required", fields={"note": [message]})
    outcome = _hold_lift(case=case, actor=actor, request=request)
    return _case_decide(
        case=case, actor=actor, status=Case.Status.REJECTED, note=note, outcome=outcome, request=request
    )


@transaction.atomic
def case_close(*, case: Case, actor: User, note: str = "", request: HttpRequest | None = None) -> Case:
    """Close a decided case once its follow-up (family told, recovery started) is done."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}, allow_assignee=True)
    if case.status not in (Case.Status.APPROVED, Case.Status.REJECTED):
        raise _invalid_transition(case, "close")
    case.status = Case.Status.CLOSED
    case.closed_by = actor
    case.closed_at = timezone.now()
    case.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])
    _case_transition_audit(case=case, actor=actor, action="close", note=note, request=request)
    return case


@transaction.atomic
def case_note_add(
    *, case: Case, actor: User, text: str, evidence_ids: Sequence[int] = (), request: HttpRequest | None = None
) -> CaseNote:
    """A verification step (phone call, visit, document checked) with optional evidence."""
    case = _case_locked(case)
    case_step_guard(case=case, actor=actor, roles_allowed={Role.CASEWORKER, Role.REVIEWER}, allow_assignee=True)
    if not text.strip():
        raise ApplicationError(fields={"text": [_("This field may not be blank.")]}, code="invalid")
    evidence = evidence_resolve(actor=actor, evidence_ids=evidence_ids)
    note = CaseNote.objects.create(case=case, author=actor, text=text.strip()[:2000])
    case.evidence.add(*evidence)
    audit_record(
        actor=actor,
        action="case.note",
        target=case,
        details={"note": note.pk, "evidence": [e.pk for e in evidence]},
        request=request,
    )
    return note


# --- Payment ledger ------------------------------------------------------------------------


def ledger_run_month(
    *, period: datetime.date, pay_date: datetime.date | None = None, pensioners: Iterable[Pensioner] | None = None
) -> int:
    """Record the regular payment for ``period``: paid for active benefits, held for suspended ones.

    Idempotent (one regular line per pensioner and month); months already back-paid are skipped.
    Returns the number of lines written.
    """
    period = month_start(period)
    pay_date = pay_date or pay_date_for(period)
    queryset = Pensioner.objects.filter(
        benefit_status__in=[Pensioner.BenefitStatus.ACTIVE, Pensioner.BenefitStatus.SUSPENDED],
        benefit_start__lt=month_add(period, 1),
    )
    if pensioners is not None:
        queryset = queryset.filter(pk__in=[p.pk for p in pensioners])
    accounts = dict(PayeeAccount.objects.values_list("pensioner_id", "account_number"))
    existing = set(PaymentLedger.objects.filter(period=period).values_list("pensioner_id", flat=True))
    rows = []
    for pensioner in queryset.only("pk", "benefit_status", "monthly_amount").iterator(chunk_size=2000):
        if pensioner.pk in existing:
            continue
        paid = pensioner.benefit_status == Pensioner.BenefitStatus.ACTIVE
        rows.append(
            PaymentLedger(
                pensioner_id=pensioner.pk,
                period=period,
                kind=PaymentLedger.Kind.REGULAR,
                status=PaymentLedger.Status.PAID if paid else PaymentLedger.Status.HELD,
                amount=pensioner.monthly_amount,
                paid_on=pay_date if paid else None,
                account_last4=accounts.get(pensioner.pk, "")[-4:],
            )
        )
    PaymentLedger.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


def _demo_account_number(pensioner: Pensioner) -> str:
    digits = int(hashlib.sha256(pensioner.id_number.encode()).hexdigest(), 16) % 10**15
    return f"6217{digits:015d}"


def ledger_seed_demo(
    *, pensioners: Iterable[Pensioner] | None = None, months: int = 12, today: datetime.date | None = None
) -> int:
    """Demo data: a payee account and ``months`` months of payments per pensioner, consistent with
    their status (held since a suspension, nothing after termination). Idempotent; returns lines added.
    """
    today = today or timezone.localdate()
    last = month_start(today) if today >= pay_date_for(month_start(today)) else month_add(today, -1)
    periods = [month_add(last, -offset) for offset in range(months - 1, -1, -1)]
    queryset = (
        Pensioner.objects.all() if pensioners is None else Pensioner.objects.filter(pk__in=[p.pk for p in pensioners])
    )
    have_account = set(PayeeAccount.objects.values_list("pensioner_id", flat=True))
    accounts, rows = [], []
    for pensioner in queryset.iterator(chunk_size=2000):
        number = _demo_account_number(pensioner)
        if pensioner.pk not in have_account:
            accounts.append(
                PayeeAccount(
                    pensioner=pensioner,
                    bank_name="中国农业银行" if pensioner.pk % 2 else "中国邮政储蓄银行",
                    account_number=number,
                    changed_at=timezone.make_aware(datetime.datetime.combine(pensioner.benefit_start, datetime.time())),
                )
            )
        stop = None  # first period not paid: a month is paid if its pay day came before the status change
        if pensioner.benefit_status != Pensioner.BenefitStatus.ACTIVE:
            since = pensioner.status_since
            stop = month_start(since) if since <= pay_date_for(month_start(since)) else month_add(since, 1)
            if pensioner.deceased_on is not None:
                stop = min(stop, month_add(pensioner.deceased_on, 1))
        for period in periods:
            if period < month_start(pensioner.benefit_start):
                continue
            if stop is not None and period >= stop:
                if pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED:
                    continue
                status, paid_on = PaymentLedger.Status.HELD, None
            else:
                status, paid_on = PaymentLedger.Status.PAID, pay_date_for(period)
            rows.append(
                PaymentLedger(
                    pensioner=pensioner,
                    period=period,
                    kind=PaymentLedger.Kind.REGULAR,
                    status=status,
                    amount=pensioner.monthly_amount,
                    paid_on=paid_on,
                    account_last4=number[-4:],
                )
            )
    before = PaymentLedger.objects.count()
    with transaction.atomic():
        PayeeAccount.objects.bulk_create(accounts, batch_size=1000, ignore_conflicts=True)
        PaymentLedger.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return PaymentLedger.objects.count() - before


@transaction.atomic
def payee_account_set(
    *, pensioner: Pensioner, bank_name: str, account_number: str, actor: User | None, request: HttpRequest | None = None
) -> PayeeAccount:
    """Change where the benefit is paid; the change date feeds the resumption bank-account check."""
    account, _created = PayeeAccount.objects.update_or_create(
        pensioner=pensioner,
        defaults={"bank_name": bank_name, "account_number": account_number, "changed_at": timezone.now()},
    )
    account.full_clean()
    audit_record(
        actor=actor, action="payee_account.set", target=account, details={"last4": account.last4}, request=request
    )
    return account


# --- Overpayment recovery ------------------------------------------------------------------


def overpayment_recovery_record(
    *,
    overpayment: Overpayment,
    actor: User,
    amount: Decimal,
    client_request_id: uuid.UUID,
    note: str = "",
    request: HttpRequest | None = None,
) -> tuple[OverpaymentRecovery, bool]:
    """Book money returned by the estate; the status follows the outstanding amount."""
    existing = OverpaymentRecovery.objects.filter(overpayment=overpayment, client_request_id=client_request_id).first()
    if existing is not None:
        return existing, False
    with transaction.atomic():
        locked = Overpayment.objects.select_for_update().select_related("pensioner__region").get(pk=overpayment.pk)
        if not staff_in_scope(actor=actor, pensioner=locked.pensioner):
            raise NotFoundError()
        if Role.CASEWORKER not in user_roles(actor):
            raise ForbiddenError(_("Your role cannot take this step on a case."), code="case_role_required")
        amount = Decimal(amount).quantize(MONEY)
        if amount <= 0 or amount > locked.outstanding:
            message = _("The amount must be more than 0 and at most the %(left)s yuan still outstanding.") % {
                "left": locked.outstanding
            }
            raise ApplicationError(message, code="recovery_amount_invalid", fields={"amount": [message]})
        recovery = OverpaymentRecovery.objects.create(
            overpayment=locked,
            amount=amount,
            recorded_by=actor,
            client_request_id=client_request_id,
            note=note.strip()[:300],
        )
        locked.recovered_amount += amount
        locked.recovery_status = (
            Overpayment.RecoveryStatus.RECOVERED
            if locked.recovered_amount == locked.amount
            else Overpayment.RecoveryStatus.PARTIAL
        )
        locked.save(update_fields=["recovered_amount", "recovery_status", "updated_at"])
        audit_record(
            actor=actor,
            action="overpayment.recovery",
            target=locked,
            details={"amount": str(amount), "status": locked.recovery_status},
            pensioner_id=locked.pensioner_id,
            request=request,
        )
    overpayment.recovered_amount, overpayment.recovery_status = locked.recovered_amount, locked.recovery_status
    return recovery, True
