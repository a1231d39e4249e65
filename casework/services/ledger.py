"""The payment ledger: monthly runs, back pay, the payee account and overpayment recovery."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner, User
from accounts.roles import Role
from accounts.selectors import Capability, actor_may, user_roles
from accounts.services import audit_record
from backend.api.errors import ApplicationError, ForbiddenError, NotFoundError
from casework.models import (
    Case,
    Overpayment,
    OverpaymentRecovery,
    PayeeAccount,
    PaymentLedger,
)
from casework.rules import (
    MONEY,
    month_add,
    month_start,
    pay_date_for,
)
from casework.selectors import held_periods_unpaid
from selfservice.selectors import with_monthly_total


def _payee_last4(pensioner: Pensioner) -> str:
    account = PayeeAccount.objects.filter(pensioner=pensioner).first()
    return account.last4 if account else ""


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
        benefit_status__in=[Pensioner.BenefitStatus.ACTIVE, Pensioner.BenefitStatus.SUSPENDED]
    )
    if pensioners is not None:
        queryset = queryset.filter(pk__in=[p.pk for p in pensioners])
    queryset = with_monthly_total(queryset, started_before=month_add(period, 1))
    accounts = dict(PayeeAccount.objects.values_list("pensioner_id", "account_number"))
    existing = set(PaymentLedger.objects.filter(period=period).values_list("pensioner_id", flat=True))
    rows = []
    # ``monthly_total`` is annotated by with_monthly_total (the stubs cannot see annotations).
    totals = queryset.values_list("pk", "benefit_status", "monthly_total")  # type: ignore[misc]
    for pk, status, amount in totals.iterator(chunk_size=2000):
        if pk in existing or amount is None:  # already paid, or no benefit running yet
            continue
        paid = status == Pensioner.BenefitStatus.ACTIVE
        rows.append(
            PaymentLedger(
                pensioner_id=pk,
                period=period,
                kind=PaymentLedger.Kind.REGULAR,
                status=PaymentLedger.Status.PAID if paid else PaymentLedger.Status.HELD,
                amount=amount,
                paid_on=pay_date if paid else None,
                account_last4=accounts.get(pk, "")[-4:],
            )
        )
    PaymentLedger.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return len(rows)


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
        if not actor_may(actor=actor, pensioner=locked.pensioner, capability=Capability.CASEWORK):
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
