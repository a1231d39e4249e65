"""What approval and rejection do to the benefit and the money: termination, overpayment,
hold lifted with back pay, resumption with back pay and the city-level check."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.models import Pensioner
from backend.api.errors import ApplicationError, ForbiddenError
from casework import demo, services
from casework.models import Case, CaseNote, Overpayment, PayeeAccount, PaymentLedger
from casework.services import ledger
from selfservice.selectors import CertificationState, certification_status
from selfservice.services import certification_record
from tests.casework.factories import CITY, caseworker, request_id, reviewer, sms_queued
from tests.factories import PensionerFactory, RelativeLinkFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
AMOUNT = Decimal("3200.00")
D = datetime.date


def at(year, month, day, hour=10):
    return time_machine.travel(datetime.datetime(year, month, day, hour, tzinfo=SHANGHAI), tick=False)


def payroll(pensioner, first: D, last: D) -> None:
    """Run the monthly payment for each month, as of that month's pay day."""
    for period in services.months_from(first, last):
        with at(period.year, period.month, 10, 9):
            services.ledger_run_month(period=period, pensioners=[pensioner])


def report_death(pensioner, date_of_death: D):
    link = RelativeLinkFactory(pensioner=pensioner)
    report, _created = services.death_report_submit(
        reporter=link.relative,
        pensioner_id=pensioner.pk,
        date_of_death=date_of_death,
        place="家中",
        client_request_id=request_id(),
    )
    return report.case


def decide(case, *, approve=True, acceptor=None, checker=None, **kwargs):
    services.case_accept(case=case, actor=acceptor or caseworker())
    if approve:
        return services.case_approve(case=case, actor=checker or reviewer(), **kwargs)
    return services.case_reject(case=case, actor=checker or reviewer(), note="seen alive at home", **kwargs)


# --- overpayment arithmetic ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("death", "months", "first_overpaid"),
    [
        (D(2026, 3, 1), 3, D(2026, 4, 1)),  # death on the 1st: March is still due
        (D(2026, 3, 31), 3, D(2026, 4, 1)),  # death on the 31st: the same month
        (D(2026, 2, 28), 4, D(2026, 3, 1)),  # last day of a short month
        (D(2025, 12, 31), 6, D(2026, 1, 1)),  # year boundary
        (D(2026, 6, 30), 0, None),  # died in the last month paid: nothing overpaid
        (D(2026, 6, 1), 0, None),
    ],
)
def test_overpayment_is_everything_paid_for_months_after_the_month_of_death(death, months, first_overpaid):
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2025, 12, 1), D(2026, 6, 1))
    figures = services.death_overpayment_figures(pensioner=pensioner, date_of_death=death)
    assert figures["terminated_from"] == services.month_add(death, 1)
    assert figures["overpaid_amount"] == AMOUNT * months
    assert (figures["overpaid_periods"][0] if months else None) == first_overpaid


def test_back_payments_for_months_after_death_are_overpaid_too():
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2026, 1, 1), D(2026, 1, 1))
    Pensioner.objects.filter(pk=pensioner.pk).update(benefit_status="suspended", suspension_reason="overdue")
    payroll(pensioner, D(2026, 2, 1), D(2026, 3, 1))  # held
    held = services.held_periods_unpaid(pensioner=pensioner, since=D(2026, 2, 1))
    assert [line.period for line in held] == [D(2026, 2, 1), D(2026, 3, 1)]
    case = services.case_open(pensioner=pensioner, category="resumption", source="staff")
    with at(2026, 4, 2):
        ledger._back_pay(pensioner=pensioner, case=case, since=D(2026, 2, 1), actor=None)
    figures = services.death_overpayment_figures(pensioner=pensioner, date_of_death=D(2026, 1, 31))
    assert figures["overpaid_amount"] == AMOUNT * 2
    assert figures["overpaid_periods"] == [D(2026, 2, 1), D(2026, 3, 1)]


def test_months_held_up_to_the_death_are_arrears_owed_to_the_estate():
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2026, 1, 1), D(2026, 1, 1))
    Pensioner.objects.filter(pk=pensioner.pk).update(benefit_status="suspended", suspension_reason="overdue")
    payroll(pensioner, D(2026, 2, 1), D(2026, 4, 1))
    figures = services.death_overpayment_figures(pensioner=pensioner, date_of_death=D(2026, 3, 15))
    assert figures["overpaid_amount"] == 0
    assert figures["arrears_to_estate"] == AMOUNT * 2  # February and March; April was after death


# --- confirmed death -----------------------------------------------------------------------


def test_a_confirmed_death_terminates_from_the_next_month_and_records_the_overpayment():
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2026, 1, 1), D(2026, 6, 1))
    with at(2026, 6, 20):
        case = report_death(pensioner, D(2026, 3, 31))
        case = decide(case)
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == Pensioner.BenefitStatus.TERMINATED
    assert pensioner.deceased_on == D(2026, 3, 31)
    assert pensioner.status_since == D(2026, 4, 1)
    assert pensioner.suspension_reason == ""
    overpayment = Overpayment.objects.get(case=case)
    assert (overpayment.period_from, overpayment.period_to, overpayment.months) == (D(2026, 4, 1), D(2026, 6, 1), 3)
    assert overpayment.amount == Decimal("9600.00")
    assert overpayment.recovery_status == Overpayment.RecoveryStatus.PENDING
    assert case.details["outcome"]["overpaid_amount"] == "9600.00"


def test_no_overpayment_row_when_nothing_was_overpaid():
    pensioner = PensionerFactory()
    payroll(pensioner, D(2026, 1, 1), D(2026, 3, 1))
    with at(2026, 3, 20):
        decide(report_death(pensioner, D(2026, 3, 18)))
    assert not Overpayment.objects.exists()


def test_the_family_is_told_about_death_benefits_once_per_phone():
    pensioner = PensionerFactory()
    payroll(pensioner, D(2026, 1, 1), D(2026, 2, 1))
    other_relative = RelativeLinkFactory(pensioner=pensioner)
    with at(2026, 2, 20):
        case = report_death(pensioner, D(2026, 1, 5))
        decide(case)
    messages = sms_queued(f"death_benefits:{case.pk}:")
    recipients = sorted(m.recipient for m in messages)
    reporter_phone = case.death_reports.get().reporter.phone
    assert recipients == sorted({reporter_phone, other_relative.relative.phone})
    assert all("3200.00" in m.text for m in messages)  # February was overpaid


def test_after_death_no_certification_can_be_recorded_and_the_status_says_deceased():
    pensioner = PensionerFactory()
    with at(2026, 2, 20):
        decide(report_death(pensioner, D(2026, 2, 1)))
        pensioner.refresh_from_db()
        assert certification_status(pensioner=pensioner).state == CertificationState.DECEASED
        with pytest.raises(ApplicationError) as exc:
            certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert exc.value.code == "benefit_ended"


def test_two_reports_with_different_dates_need_the_confirmed_date():
    pensioner = PensionerFactory()
    with at(2026, 2, 20):
        case = report_death(pensioner, D(2026, 2, 1))
        report_death(pensioner, D(2026, 2, 3))
        services.case_accept(case=case, actor=caseworker())
        with pytest.raises(ApplicationError) as exc:
            services.case_approve(case=case, actor=reviewer())
        assert exc.value.code == "date_of_death_required"
        services.case_approve(case=case, actor=reviewer(), date_of_death=D(2026, 2, 3))
    pensioner.refresh_from_db()
    assert pensioner.deceased_on == D(2026, 2, 3)


# --- rejected death report -----------------------------------------------------------------


def test_a_rejected_death_report_lifts_the_hold_and_back_pays_the_held_months():
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2026, 1, 1), D(2026, 4, 1))  # April paid on the 10th
    with at(2026, 4, 15):
        case = report_death(pensioner, D(2026, 4, 12))
    payroll(pensioner, D(2026, 5, 1), D(2026, 6, 1))  # held
    assert PaymentLedger.objects.filter(pensioner=pensioner, status="held").count() == 2
    with at(2026, 6, 20):
        case = decide(case, approve=False)
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == Pensioner.BenefitStatus.ACTIVE
    assert pensioner.suspension_reason == ""
    back = PaymentLedger.objects.filter(pensioner=pensioner, kind="back_pay").order_by("period")
    assert [(b.period, b.amount, b.paid_on) for b in back] == [
        (D(2026, 5, 1), AMOUNT, D(2026, 6, 20)),
        (D(2026, 6, 1), AMOUNT, D(2026, 6, 20)),
    ]
    assert case.details["outcome"]["back_pay"]["amount"] == "6400.00"
    assert len(sms_queued(f"hold_lifted:{case.pk}")) == 1
    # Lines are appended: the held months stay held, the back payment is its own line.
    assert PaymentLedger.objects.filter(pensioner=pensioner, kind="regular", status="held").count() == 2


def test_a_hold_on_someone_already_suspended_restores_that_suspension_without_back_pay():
    pensioner = PensionerFactory(benefit_status="suspended", suspension_reason="overdue", status_since=D(2026, 1, 20))
    payroll(pensioner, D(2026, 2, 1), D(2026, 3, 1))
    with at(2026, 3, 15):
        case = report_death(pensioner, D(2026, 3, 1))
        decide(case, approve=False)
    pensioner.refresh_from_db()
    assert (pensioner.benefit_status, pensioner.suspension_reason) == ("suspended", "overdue")
    assert pensioner.status_since == D(2026, 1, 20)
    assert not PaymentLedger.objects.filter(kind="back_pay").exists()


# --- resumption ----------------------------------------------------------------------------


PAID_FROM = D(2025, 1, 1)


def suspended_since(since: D, *, paid_from: D = PAID_FROM, account_changed: datetime.datetime | None = None):
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    PayeeAccount.objects.create(
        pensioner=pensioner,
        bank_name="农行",
        account_number="6228480012345678",
        changed_at=account_changed or datetime.datetime(2015, 1, 1, tzinfo=SHANGHAI),
    )
    payroll(pensioner, paid_from, since)
    Pensioner.objects.filter(pk=pensioner.pk).update(
        benefit_status="suspended", suspension_reason="overdue", status_since=since
    )
    pensioner.refresh_from_db()
    return pensioner


def test_certifying_while_suspended_opens_a_resumption_case():
    pensioner = suspended_since(D(2026, 5, 20))
    payroll(pensioner, D(2026, 6, 1), D(2026, 11, 1))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    case = Case.objects.get(pensioner=pensioner)
    assert (case.category, case.source, case.requires_city_review) == ("resumption", "face_check", False)
    assert case.details["suspension"]["since"] == "2026-05-20"


def test_an_approved_resumption_back_pays_from_the_suspension_start():
    pensioner = suspended_since(D(2026, 5, 20))  # May paid on the 10th, before the suspension
    payroll(pensioner, D(2026, 6, 1), D(2026, 11, 1))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
        case = decide(Case.objects.get(pensioner=pensioner))
    pensioner.refresh_from_db()
    assert pensioner.benefit_status == "active"
    back_pay = case.details["outcome"]["back_pay"]
    assert (back_pay["period_from"], back_pay["period_to"], back_pay["months"]) == ("2026-06-01", "2026-11-01", 6)
    assert Decimal(back_pay["amount"]) == AMOUNT * 6
    assert len(sms_queued(f"resumed:{case.pk}")) == 1


def test_more_than_twelve_months_suspended_needs_a_city_reviewer_with_checks():
    pensioner = suspended_since(D(2025, 8, 15))
    payroll(pensioner, D(2025, 9, 1), D(2026, 11, 1))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="silent", recorded_by=None)
        case = Case.objects.get(pensioner=pensioner)
        assert case.requires_city_review is True
        services.case_accept(case=case, actor=caseworker())
        with pytest.raises(ForbiddenError) as exc:
            services.case_approve(case=case, actor=reviewer(), checks_confirmed=True)
        assert exc.value.code == "city_review_required"
        city = reviewer(region_code=CITY)
        with pytest.raises(ApplicationError) as exc:
            services.case_approve(case=case, actor=city)
        assert exc.value.code == "checks_not_confirmed"
        case = services.case_approve(case=case, actor=city, checks_confirmed=True)
    assert case.status == "approved"
    checks = case.details["outcome"]["checks_at_approval"]
    assert checks["back_pay"]["months"] == 15
    assert checks["bank_account"] == {
        "on_file": "****5678",
        "last_paid_to": "****5678",
        "changed_during_suspension": False,
        "consistent": True,
    }
    assert checks["amount"]["consistent"] is True


def test_exactly_twelve_months_is_not_more_than_twelve():
    pensioner = suspended_since(D(2025, 11, 23))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert Case.objects.get(pensioner=pensioner).requires_city_review is False


def test_the_checks_flag_a_bank_account_changed_during_the_suspension():
    pensioner = suspended_since(D(2026, 3, 20), account_changed=datetime.datetime(2026, 9, 1, tzinfo=SHANGHAI))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
        checks = services.resumption_checks(case=Case.objects.get(pensioner=pensioner))
    assert checks["bank_account"]["changed_during_suspension"] is True
    assert checks["bank_account"]["consistent"] is False


def test_a_second_certification_joins_the_open_resumption_case():
    pensioner = suspended_since(D(2026, 5, 20))
    with at(2026, 11, 23):
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
        certification_record(pensioner=pensioner, method="silent", recorded_by=None)
    case = Case.objects.get(pensioner=pensioner)
    assert len(case.details["reports"]) == 2


def test_certifying_while_on_a_death_report_hold_notes_the_case_instead():
    pensioner = PensionerFactory()
    with at(2026, 11, 20):
        case = report_death(pensioner, D(2026, 11, 18))
        certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert Case.objects.filter(pensioner=pensioner).count() == 1
    assert CaseNote.objects.filter(case=case).count() == 1


def test_an_active_pensioner_certifying_opens_nothing():
    pensioner = PensionerFactory()
    certification_record(pensioner=pensioner, method="face", recorded_by=None)
    assert not Case.objects.exists()


def test_approving_other_categories_suspends_payment_for_the_case():
    from tests.casework.factories import case_in

    case, _a, _c = case_in("approved", category="imprisoned")
    case.pensioner.refresh_from_db()
    assert (case.pensioner.benefit_status, case.pensioner.suspension_reason) == ("suspended", "case")


# --- ledger --------------------------------------------------------------------------------


def test_the_monthly_run_pays_active_holds_suspended_and_skips_ended_benefits():
    active = PensionerFactory()
    suspended = PensionerFactory(benefit_status="suspended", suspension_reason="overdue")
    PensionerFactory(benefit_status="terminated")
    PensionerFactory(benefit_start=D(2027, 1, 1))
    assert services.ledger_run_month(period=D(2026, 10, 1)) == 2
    assert services.ledger_run_month(period=D(2026, 10, 1)) == 0
    paid = PaymentLedger.objects.get(pensioner=active)
    held = PaymentLedger.objects.get(pensioner=suspended)
    assert (paid.status, paid.paid_on) == ("paid", D(2026, 10, 10))
    assert (held.status, held.paid_on) == ("held", None)


def test_demo_ledger_seeding_is_consistent_and_idempotent():
    active = PensionerFactory()
    suspended = PensionerFactory(benefit_status="suspended", suspension_reason="overdue", status_since=D(2026, 8, 20))
    dead = PensionerFactory(benefit_status="terminated", deceased_on=D(2026, 6, 3), status_since=D(2026, 7, 1))
    with at(2026, 11, 23):
        created = demo.ledger_seed_demo(months=12)
        assert demo.ledger_seed_demo(months=12) == 0
    assert created == 12 + 12 + 7
    assert PaymentLedger.objects.filter(pensioner=active, status="paid").count() == 12
    assert PaymentLedger.objects.filter(pensioner=suspended, status="held").count() == 3  # Sep, Oct, Nov
    assert not PaymentLedger.objects.filter(pensioner=dead, period__gt=D(2026, 6, 1)).exists()
    assert PayeeAccount.objects.count() == 3


# --- overpayment recovery ------------------------------------------------------------------


def overpaid_case():
    pensioner = PensionerFactory(monthly_amount=AMOUNT)
    payroll(pensioner, D(2026, 1, 1), D(2026, 3, 1))
    with at(2026, 3, 20):
        case = decide(report_death(pensioner, D(2026, 1, 9)))
    return Overpayment.objects.get(case=case)


def test_recoveries_move_the_status_from_pending_to_partial_to_recovered():
    overpayment = overpaid_case()
    assert overpayment.amount == AMOUNT * 2
    worker = caseworker()
    services.overpayment_recovery_record(
        overpayment=overpayment, actor=worker, amount=Decimal("1000"), client_request_id=request_id()
    )
    assert overpayment.recovery_status == "partial"
    services.overpayment_recovery_record(
        overpayment=overpayment, actor=worker, amount=Decimal("5400"), client_request_id=request_id()
    )
    overpayment.refresh_from_db()
    assert (overpayment.recovery_status, overpayment.recovered_amount) == ("recovered", AMOUNT * 2)


def test_a_recovery_retry_counts_once_and_more_than_outstanding_is_refused():
    overpayment = overpaid_case()
    worker, rid = caseworker(), request_id()
    for _ in range(2):
        services.overpayment_recovery_record(
            overpayment=overpayment, actor=worker, amount=Decimal("100"), client_request_id=rid
        )
    overpayment.refresh_from_db()
    assert overpayment.recovered_amount == Decimal("100")
    with pytest.raises(ApplicationError) as exc:
        services.overpayment_recovery_record(
            overpayment=overpayment, actor=worker, amount=Decimal("6400"), client_request_id=request_id()
        )
    assert exc.value.code == "recovery_amount_invalid"
