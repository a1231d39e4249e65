"""The admin runs the same services as the API; payments are shown to the right people."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client

from casework import demo, services
from casework.models import Case, PayeeAccount
from tests.casework.factories import OTHER_COUNTY, CaseFactory, case_in, caseworker, give_amount_setting, reviewer
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, VillageAssignmentFactory, pensioner_user

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_case_list_filters_by_category_status_region_and_deadline():
    mine = CaseFactory(category="missing")
    CaseFactory(category="imprisoned")
    client = admin_client(caseworker())
    for query in (
        {"category": "missing"},
        {"status__exact": "open"},
        {"region": "360102000000"},
        {"due": "overdue"},
        {"deadline__gte": "2020-01-01"},
    ):
        response = client.get("/admin/casework/case/", query)
        assert response.status_code == 200, query
    body = client.get("/admin/casework/case/", {"category__exact": "missing"}).content.decode()
    assert f"/admin/casework/case/{mine.pk}/" in body


def test_the_admin_shows_only_cases_in_my_area():
    case = CaseFactory()
    body = admin_client(caseworker(region_code=OTHER_COUNTY)).get("/admin/casework/case/").content.decode()
    assert f"/admin/casework/case/{case.pk}/" not in body


def test_the_accept_action_calls_the_service():
    case = CaseFactory()
    worker = caseworker()
    response = admin_client(worker).post(
        "/admin/casework/case/", {"action": "accept", "_selected_action": [case.pk]}, follow=True
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert (case.status, case.accepted_by) == ("accepted", worker)


def test_an_admin_action_against_the_rules_changes_nothing_and_says_why():
    case, acceptor, _checker = case_in("accepted")
    response = admin_client(acceptor).post(
        "/admin/casework/case/", {"action": "approve", "_selected_action": [case.pk]}, follow=True
    )
    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == "accepted"
    assert len(list(response.context["messages"])) >= 1


def test_the_reject_action_asks_for_a_reason_first():
    case, _acceptor, _checker = case_in("accepted")
    client = admin_client(reviewer())
    form = client.post("/admin/casework/case/", {"action": "reject", "_selected_action": [case.pk]})
    assert form.status_code == 200
    assert b'name="note"' in form.content
    case.refresh_from_db()
    assert case.status == "accepted"
    client.post(
        "/admin/casework/case/",
        {"action": "reject", "_selected_action": [case.pk], "apply": "1", "note": "found alive"},
    )
    case.refresh_from_db()
    assert (case.status, case.outcome) == ("rejected", "found alive")


def test_status_cannot_be_edited_directly_in_the_admin():
    case = CaseFactory()
    client = admin_client(caseworker())
    page = client.get(f"/admin/casework/case/{case.pk}/change/")
    assert page.status_code == 200
    assert b'name="status"' not in page.content
    client.post(f"/admin/casework/case/{case.pk}/change/", {"status": "approved"})
    case.refresh_from_db()
    assert case.status == "open"
    assert client.get("/admin/casework/case/add/").status_code == 403


def test_a_payee_account_change_in_the_admin_is_audited_and_dated():
    from accounts.models import AuditEvent

    pensioner = PensionerFactory()
    admin = give_amount_setting(caseworker())
    from django.contrib.auth.models import Permission

    admin.user_permissions.add(*Permission.objects.filter(codename__in=["add_payeeaccount", "change_payeeaccount"]))
    response = admin_client(admin).post(
        "/admin/casework/payeeaccount/add/",
        {"pensioner": pensioner.pk, "bank_name": "农行", "account_number": "6228480012345678"},
    )
    assert response.status_code == 302, response.content[:500]
    account = PayeeAccount.objects.get(pensioner=pensioner)
    assert account.last4 == "5678"
    assert AuditEvent.objects.filter(action="payee_account.set").exists()


# --- payments API --------------------------------------------------------------------------


def seeded_pensioner():  # type: ignore[no-untyped-def]
    pensioner = PensionerFactory(monthly_amount=Decimal("2000.00"))
    demo.ledger_seed_demo(pensioners=[pensioner], months=3, today=datetime.date(2026, 11, 23))
    return pensioner


def test_a_pensioner_sees_their_payments_and_a_summary():
    pensioner = seeded_pensioner()
    body = client_for(pensioner_user(pensioner)).get(f"/api/v1/pensioners/{pensioner.pk}/payments").json()
    assert body["count"] == 3
    assert [line["period"] for line in body["results"]] == ["2026-11", "2026-10", "2026-09"]
    assert body["results"][0]["paid_on"] == "2026-11-10"
    assert body["summary"]["last_paid_amount"] == "2000.00"
    assert body["summary"]["held_months"] == 0


@pytest.mark.parametrize(
    ("who", "status"),
    [("relative", 200), ("staff", 200), ("outside_staff", 404), ("village_assistant", 404), ("stranger", 404)],
)
def test_who_may_see_payments(who, status):
    pensioner = seeded_pensioner()
    user = {
        "relative": lambda: RelativeLinkFactory(pensioner=pensioner).relative,
        "staff": caseworker,
        "outside_staff": lambda: caseworker(region_code=OTHER_COUNTY),
        "village_assistant": lambda: VillageAssignmentFactory(village=pensioner.region).user,
        "stranger": lambda: RelativeLinkFactory().relative,
    }[who]()
    assert client_for(user).get(f"/api/v1/pensioners/{pensioner.pk}/payments").status_code == status


def test_overpayments_are_listed_and_recovered_through_the_api():
    pensioner = PensionerFactory(monthly_amount=Decimal("2000.00"))
    demo.ledger_seed_demo(pensioners=[pensioner], months=3, today=datetime.date(2026, 11, 23))
    case = services.case_open(
        pensioner=pensioner,
        category=Case.Category.SUSPECTED_DEATH,
        source="staff",
        details={"date_of_death": "2026-09-20"},
    )
    services.case_accept(case=case, actor=caseworker())
    services.case_approve(case=case, actor=reviewer())
    worker = client_for(caseworker())
    listing = worker.get("/api/v1/overpayments", {"recovery_status": "pending"}).json()
    assert [(o["amount"], o["months"]) for o in listing["results"]] == [("4000.00", 2)]
    overpayment_id = listing["results"][0]["id"]
    body = {"amount": "4000.00", "client_request_id": "8e3c1b0e-5d0b-4b1e-9d7e-2f0f8d7c6a11"}
    response = worker.post(f"/api/v1/overpayments/{overpayment_id}/recoveries", body, format="json")
    assert response.status_code == 201
    assert response.json()["recovery_status"] == "recovered"
    again = worker.post(f"/api/v1/overpayments/{overpayment_id}/recoveries", body, format="json")
    assert (again.status_code, again.json()["recovered_amount"]) == (200, "4000.00")
    outsider = client_for(caseworker(region_code=OTHER_COUNTY))
    assert outsider.post(f"/api/v1/overpayments/{overpayment_id}/recoveries", body, format="json").status_code == 404
    other_request = {**body, "client_request_id": "1" * 32}
    by_reviewer = client_for(reviewer()).post(
        f"/api/v1/overpayments/{overpayment_id}/recoveries", other_request, format="json"
    )
    assert (by_reviewer.status_code, by_reviewer.json()["code"]) == (403, "case_role_required")
