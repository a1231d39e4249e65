"""The audit log is tamper-evident: a hash chain, a verifying command, and a database that refuses rewrites."""

import itertools

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from accounts.audit_chain import audit_chain_verify
from accounts.models import AuditEvent
from accounts.services import audit_record
from tests.concurrency import run_together
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db
SQLITE_ONLY = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite statement")
POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL roles")


@pytest.fixture
def events():  # type: ignore[no-untyped-def]
    pensioner = PensionerFactory()
    return [audit_record(actor=None, action=f"test.{n}", target=pensioner, details={"n": n}) for n in range(4)]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("audit_verify", stdout=out)
    return out.getvalue()


def _tamper(sql: str, params: list) -> None:  # type: ignore[type-arg]
    """What someone with the database file could do: drop the guards, then rewrite (rolled back after the test)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER accounts_auditevent_no_update")
            cursor.execute("DROP TRIGGER accounts_auditevent_no_delete")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks block the ALTER
            cursor.execute("ALTER TABLE accounts_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)


def test_each_event_carries_the_hash_of_the_one_before(events):
    assert events[0].prev_hash == ""
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1
    assert all(len(event.hash) == 64 for event in events)


def test_the_stored_rows_hash_to_what_was_recorded(events):
    for event in AuditEvent.objects.filter(pk__in=[e.pk for e in events]):
        assert event.compute_hash() == event.hash


def test_an_intact_chain_verifies(events):
    assert verify().startswith("OK: 4 chained events intact")


def test_a_changed_event_is_named(events):
    _tamper("UPDATE accounts_auditevent SET details = %s WHERE id = %s", ['{"n": 99}', events[2].pk])
    with pytest.raises(CommandError, match=rf"position 3 \(event id {events[2].pk}\).*changed"):
        verify()


def test_a_removed_event_is_named(events):
    _tamper("DELETE FROM accounts_auditevent WHERE id = %s", [events[1].pk])
    report = audit_chain_verify()
    assert (report.broken_seq, report.broken_event_id) == (2, events[2].pk)
    assert "missing" in report.reason


def test_events_from_before_the_chain_are_counted_not_failed(events):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_auditevent (action, target_type, target_id, created_at, details, prev_hash, hash)"
            " VALUES ('legacy', 'x', '1', %s, '{}', '', '')",
            [events[0].created_at],
        )
    assert "1 events from before the chain" in verify()


@SQLITE_ONLY
def test_sqlite_refuses_insert_or_replace_over_an_event(events):
    target = events[1]
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT OR REPLACE INTO accounts_auditevent"
            " (id, action, target_type, target_id, created_at, details, prev_hash, hash)"
            " VALUES (%s, 'rewritten', 'x', '1', %s, '{}', '', '')",
            [target.pk, target.created_at],
        )
    assert AuditEvent.objects.get(pk=target.pk).action == "test.1"


@POSTGRES
@pytest.mark.postgres
def test_the_app_role_cannot_truncate_alter_or_rewrite_the_audit_table(events):
    from accounts.management.commands.db_app_role import app_role_sql

    role = "pension_app_test_role"  # created inside the test transaction: rolled back with it
    with connection.cursor() as cursor:
        for statement in app_role_sql(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
        try:
            for forbidden in (
                "TRUNCATE accounts_auditevent",
                "ALTER TABLE accounts_auditevent DISABLE TRIGGER ALL",
                "UPDATE accounts_auditevent SET action = 'x'",
                "DELETE FROM accounts_auditevent",
            ):
                with pytest.raises(DatabaseError), transaction.atomic():
                    cursor.execute(forbidden)
            audit_record(actor=None, action="test.as_app_role", target=events[0])  # appending still works
        finally:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(action="test.as_app_role").count() == 1
    assert AuditEvent.objects.count() == 5


@POSTGRES
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_events_still_form_one_chain():
    pensioner = PensionerFactory()
    calls = [lambda n=n: audit_record(actor=None, action=f"race.{n}", target=pensioner) for n in range(12)]
    outcomes = run_together(*calls)
    assert all(kind == "ok" for kind, _value in outcomes), outcomes
    assert audit_chain_verify().checked == 12


def test_a_bulk_append_continues_the_chain_and_verifies(events):
    """``audit_record_bulk_refs`` (COPY on PostgreSQL) hashes as ``audit_record`` does: the stored
    rows recompute to their hashes, the chain links through the batch, and appends after it verify."""
    from accounts.services import audit_record_bulk_refs

    pensioner = PensionerFactory()
    entries = [(pensioner.pk + n, pensioner.pk, {"n": n, "day": "2026-12-01", "ids": [n, n + 1]}) for n in range(3)]
    assert audit_record_bulk_refs(action="test.bulk", target_type="accounts.pensioner", entries=entries) == 3
    audit_record(actor=None, action="test.after", target=pensioner)
    rows = list(AuditEvent.objects.filter(seq__isnull=False).order_by("seq"))
    assert [r.action for r in rows] == [
        *(f"test.{n}" for n in range(4)),
        "test.bulk",
        "test.bulk",
        "test.bulk",
        "test.after",
    ]
    assert [r.seq for r in rows] == list(range(1, 9))
    assert all(r.hash == r.compute_hash() for r in rows)
    assert rows[4].details == {"n": 0, "day": "2026-12-01", "ids": [0, 1]}
    assert "OK: 8 chained events intact" in verify()
