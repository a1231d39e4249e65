"""Existing pensioners become one benefit each, and the migration runs backwards without loss."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_benefit_fields_nullable"), ("selfservice", "0001_initial")]


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _latest():  # type: ignore[no-untyped-def]
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_each_pensioner_becomes_one_benefit_and_back():
    old = _migrate(BEFORE)
    Region = old.get_model("accounts", "Region")
    Pensioner = old.get_model("accounts", "Pensioner")
    province = Region.objects.create(code="360000000000", name="江西省", level=1)
    city = Region.objects.create(code="360100000000", name="南昌市", level=2, parent=province)
    county = Region.objects.create(code="360102000000", name="东湖区", level=3, parent=city)
    township = Region.objects.create(code="360102001000", name="豫章街道", level=4, parent=county)
    village = Region.objects.create(code="360102001001", name="豫章社区", level=5, parent=township)
    common = {
        "birth_date": datetime.date(1950, 1, 1),
        "sex": "F",
        "region": village,
        "next_due": datetime.date(2027, 1, 1),
    }
    Pensioner.objects.create(
        id_number="360102195001010026",
        name="甲",
        benefit_type="institution",
        benefit_status="active",
        status_since=datetime.date(2015, 3, 1),
        monthly_amount=Decimal("4100.00"),
        benefit_start=datetime.date(2015, 3, 1),
        **common,
    )
    Pensioner.objects.create(
        id_number="360102195001010042",
        name="乙",
        benefit_type="urban_rural",
        benefit_status="suspended",
        suspension_reason="death_report",
        status_since=datetime.date(2026, 11, 1),
        monthly_amount=Decimal("180.00"),
        benefit_start=datetime.date(2012, 1, 1),
        **common,
    )
    try:
        new = _migrate(_latest())
        Benefit = new.get_model("selfservice", "Benefit")
        rows = {
            b.pensioner.name: (b.kind, b.status, b.status_reason, b.monthly_amount, b.start_date, b.paying_office_id)
            for b in Benefit.objects.select_related("pensioner")
        }
        assert rows == {
            "甲": ("institution", "active", "", Decimal("4100.00"), datetime.date(2015, 3, 1), county.pk),
            "乙": ("urban_rural", "held", "death_report", Decimal("180.00"), datetime.date(2012, 1, 1), county.pk),
        }
        old = _migrate(BEFORE)
        restored = old.get_model("accounts", "Pensioner").objects.get(name="甲")
        assert (restored.benefit_type, restored.monthly_amount, restored.benefit_start) == (
            "institution",
            Decimal("4100.00"),
            datetime.date(2015, 3, 1),
        )
    finally:
        _migrate(_latest())
