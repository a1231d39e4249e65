"""Demo data for casework: payee accounts and a year of payments consistent with each status."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

from accounts.models import Pensioner
from casework.models import (
    PayeeAccount,
    PaymentLedger,
)
from casework.rules import (
    month_add,
    month_start,
    pay_date_for,
)
from selfservice.selectors import with_monthly_total


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
    queryset = with_monthly_total(
        Pensioner.objects.all() if pensioners is None else Pensioner.objects.filter(pk__in=[p.pk for p in pensioners])
    ).filter(first_benefit_start__isnull=False)  # type: ignore[misc]  # annotated by with_monthly_total
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
                    changed_at=timezone.make_aware(
                        datetime.datetime.combine(pensioner.first_benefit_start, datetime.time())  # type: ignore[attr-defined]
                    ),
                )
            )
        stop = None  # first period not paid: a month is paid if its pay day came before the status change
        if pensioner.benefit_status != Pensioner.BenefitStatus.ACTIVE:
            since = pensioner.status_since
            stop = month_start(since) if since <= pay_date_for(month_start(since)) else month_add(since, 1)
            if pensioner.deceased_on is not None:
                stop = min(stop, month_add(pensioner.deceased_on, 1))
        for period in periods:
            if period < month_start(pensioner.first_benefit_start):  # type: ignore[attr-defined]
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
                    amount=pensioner.monthly_total or 0,  # type: ignore[attr-defined]
                    paid_on=paid_on,
                    account_last4=number[-4:],
                )
            )
    before = PaymentLedger.objects.count()
    with transaction.atomic():
        PayeeAccount.objects.bulk_create(accounts, batch_size=1000, ignore_conflicts=True)
        PaymentLedger.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return PaymentLedger.objects.count() - before


DEMO_GRID_WORKER_PHONE = "+8613600000001"


def grid_worker_seed_demo() -> str:
    """A community grid worker (社会化服务人员) for every village the demo assistant does not cover,
    so the visit queue has someone to assign to everywhere. Idempotent."""
    from accounts.lookups import phone_index
    from accounts.models import Region, User, VillageAssignment
    from accounts.roles import Role
    from accounts.services import user_add_role

    worker, created = User.objects.get_or_create(
        phone_bidx=phone_index(DEMO_GRID_WORKER_PHONE),
        defaults={"phone": DEMO_GRID_WORKER_PHONE, "username": "app-demo-grid-worker", "first_name": "王网格"},
    )
    if created:
        worker.set_unusable_password()
        worker.save()
        user_add_role(user=worker, role=Role.GRID_WORKER)
    covered = set(VillageAssignment.objects.values_list("village_id", flat=True))
    villages = Region.objects.filter(level=Region.Level.VILLAGE, pensioners__isnull=False).distinct()
    for village in villages.exclude(pk__in=covered):
        VillageAssignment.objects.get_or_create(user=worker, village=village)
    return f"Grid worker (visits, on-site certification): 13600000001 ({worker.village_assignments.count()} villages)"


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: TextIO | None = None) -> list[str]:
    """The casework part of ``manage.py seed_demo`` (discovered): payee accounts and payments, and a
    grid worker for the villages without an assistant."""
    added = ledger_seed_demo(months=12, today=today)
    return [f"Payment ledger: {added} lines added.", grid_worker_seed_demo()]
