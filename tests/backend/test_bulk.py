"""backend.bulk.bulk_insert: the same rows as ``bulk_create``, with their primary keys (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from backend.bulk import bulk_insert
from selfservice.models import Certification
from silent.models import RoundReport
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db


def test_rows_get_their_primary_keys_and_field_values():
    person = PensionerFactory()
    at = timezone.now() - datetime.timedelta(days=1)
    objs = [
        Certification(pensioner_id=person.pk, method="silent", certified_at=at, valid_until=datetime.date(2027, 1, n))
        for n in (1, 2)
    ]
    bulk_insert(Certification, objs)
    stored = {c.pk: c for c in Certification.objects.all()}
    assert sorted(stored) == sorted(o.pk for o in objs)
    for obj in objs:
        row = stored[obj.pk]
        assert (row.pensioner_id, row.method, row.certified_at, row.valid_until) == (
            person.pk,
            "silent",
            at,
            obj.valid_until,
        )
        assert row.created_at is not None  # auto_now_add applied
        assert row.evidence_ref == ""


def test_json_fields_round_trip():
    report = RoundReport(run_on=datetime.date(2026, 12, 1), by_outcome={"certified_strong": 2}, grades={"low": 1})
    bulk_insert(RoundReport, [report])
    stored = RoundReport.objects.get(pk=report.pk)
    assert stored.by_outcome == {"certified_strong": 2}
    assert stored.grades == {"low": 1}
    assert stored.by_source == {}
