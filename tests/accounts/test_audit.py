import pytest
from django.db import DatabaseError, connection, transaction

from accounts.models import AuditEvent
from accounts.services import audit_record
from tests.factories import PensionerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    pensioner = PensionerFactory()
    return audit_record(actor=None, action="test.action", target=pensioner, details={"k": "v"})


def test_an_event_records_target_and_pensioner(event):
    assert event.target_type == "accounts.pensioner"
    assert event.pensioner_id_ref == int(event.target_id)


def test_an_event_cannot_be_changed_through_the_model(event):
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()


def test_an_event_cannot_be_deleted_through_the_model(event):
    with pytest.raises(PermissionError):
        event.delete()


def test_bulk_update_and_delete_are_refused(event):
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


def test_the_database_itself_refuses_updates(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_auditevent SET action = 'x' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "test.action"


def test_the_database_itself_refuses_deletes(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_logging_in_is_audited(api_client, sms_outbox):
    import re

    api_client.post("/api/v1/auth/code", {"phone": "13800138000"}, format="json")
    code = re.search(r"\d{6}", sms_outbox[-1].text).group(0)
    api_client.post("/api/v1/auth/login", {"phone": "13800138000", "code": code}, format="json")
    assert AuditEvent.objects.filter(action="auth.login").count() == 1
