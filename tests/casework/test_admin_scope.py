"""The casework admin shows a county caseworker only the rows of their county (scope from accounts.selectors)."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from casework import services
from casework.models import Overpayment
from tests.casework.factories import OTHER_COUNTY, caseworker, evidence_for, reviewer
from tests.factories import PensionerFactory, RelativeLinkFactory, VillageAssignmentFactory, village_in

pytestmark = pytest.mark.django_db


def _rows_for(county_prefix: str) -> dict[str, int]:
    """One row of every casework admin model for a pensioner of the county: {model name: pk}."""
    pensioner = PensionerFactory(region=village_in(county_prefix, 1))
    services.ledger_run_month(period=datetime.date(2026, 1, 1), pensioners=[pensioner])
    account = services.payee_account_set(
        pensioner=pensioner, bank_name="中国农业银行", account_number="6217000011112222", actor=None
    )
    relative = RelativeLinkFactory(pensioner=pensioner).relative
    evidence = evidence_for(relative)
    report, _created = services.death_report_submit(
        reporter=relative,
        pensioner_id=pensioner.pk,
        date_of_death=timezone.localdate() - datetime.timedelta(days=3),
        place="家中",
        client_request_id=uuid.uuid4(),
        evidence_ids=[evidence.pk],
    )
    overpayment = Overpayment.objects.create(
        pensioner=pensioner,
        case=report.case,
        period_from=datetime.date(2026, 1, 1),
        period_to=datetime.date(2026, 1, 1),
        months=1,
        amount=Decimal("3200.00"),
    )
    assistant = VillageAssignmentFactory(village=pensioner.region).user
    monthly, _created = services.monthly_report_submit(
        actor=assistant,
        village_id=pensioner.region_id,
        period=datetime.date(2026, 1, 1),
        is_zero=True,
        items=[],
        client_request_id=uuid.uuid4(),
    )
    return {
        "case": report.case.pk,
        "deathreport": report.pk,
        "evidencefile": evidence.pk,
        "paymentledger": pensioner.payments.get().pk,
        "overpayment": overpayment.pk,
        "payeeaccount": account.pk,
        "monthlyreport": monthly.pk,
    }


@pytest.fixture
def rows() -> dict[str, dict[str, int]]:
    return {"home": _rows_for("360102"), "away": _rows_for(OTHER_COUNTY[:6])}


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


MODELS = ["case", "deathreport", "evidencefile", "paymentledger", "overpayment", "payeeaccount", "monthlyreport"]


@pytest.mark.parametrize("model", MODELS)
def test_a_county_caseworker_reaches_only_their_county_in_list_and_change_page(rows, model):
    client = _client(caseworker())
    body = client.get(f"/admin/casework/{model}/").content.decode()
    assert f"/admin/casework/{model}/{rows['home'][model]}/change/" in body
    assert f"/admin/casework/{model}/{rows['away'][model]}/change/" not in body
    assert client.get(f"/admin/casework/{model}/{rows['home'][model]}/change/").status_code == 200
    response = client.get(f"/admin/casework/{model}/{rows['away'][model]}/change/")
    # Django's admin answers an object outside get_queryset like a missing one: back to the index.
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_the_region_filter_offers_only_regions_inside_my_area():
    caseworker(region_code=OTHER_COUNTY)  # the other county exists, and is not offered
    body = _client(reviewer()).get("/admin/casework/case/").content.decode()
    assert "region=360102000000" in body
    assert f"region={OTHER_COUNTY}" not in body
