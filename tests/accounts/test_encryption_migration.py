"""The encryption migrations encrypt existing rows (and fill their blind indexes), and run backwards."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.lookups import id_number_index, name_index, phone_index
from backend import crypto

BEFORE = [
    ("accounts", "0007_auditevent_hash_chain"),
    ("casework", "0006_case_categories_combined"),
    ("facecheck", "0001_initial"),
]
AFTER = [
    ("accounts", "0010_encrypt_fields_indexes"),
    ("casework", "0007_encrypt_payee_account_number"),
    ("facecheck", "0002_encrypt_embeddings"),
]
ID_NUMBER = "360102195001010026"


def _migrate(targets):  # type: ignore[no-untyped-def]
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _row(sql: str) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_existing_rows_are_encrypted_and_decrypted_back():
    old = _migrate(BEFORE)
    Region = old.get_model("accounts", "Region")
    province = Region.objects.create(code="360000000000", name="江西省", level=1)
    city = Region.objects.create(code="360100000000", name="南昌市", level=2, parent=province)
    county = Region.objects.create(code="360102000000", name="东湖区", level=3, parent=city)
    township = Region.objects.create(code="360102001000", name="豫章街道", level=4, parent=county)
    village = Region.objects.create(code="360102001001", name="豫章社区", level=5, parent=township)
    person = old.get_model("accounts", "Pensioner").objects.create(
        id_number=ID_NUMBER,
        name="王 秀英",
        phone="+8613800138000",
        birth_date=datetime.date(1950, 1, 1),
        sex="F",
        region=village,
        status_since=datetime.date(2015, 1, 1),
        next_due=datetime.date(2027, 1, 1),
    )
    old.get_model("accounts", "User").objects.create(username="+8613900139000", phone="+8613900139000")
    old.get_model("casework", "PayeeAccount").objects.create(
        pensioner=person, bank_name="农行", account_number="6228480012345678"
    )
    embedding = np.ones(4, dtype=np.float32).tobytes()
    old.get_model("facecheck", "FaceTemplate").objects.create(
        pensioner=person,
        kind="reference",
        source="enrollment",
        model_id="m",
        embedding=embedding,
        embedding_dim=4,
        photo="x.jpg",
        photo_sha256="0" * 64,
        photo_phash=0,
        face_phash=0,
    )
    try:
        _migrate(AFTER)
        stored = _row("SELECT id_number, name, phone, id_number_bidx, name_bidx, phone_bidx FROM accounts_pensioner")
        assert crypto.decrypt_text(stored[0], context="accounts.pensioner.id_number") == ID_NUMBER
        assert crypto.decrypt_text(stored[1], context="accounts.pensioner.name") == "王 秀英"
        assert stored[3:] == (id_number_index(ID_NUMBER), name_index("王秀英"), phone_index("+8613800138000"))
        user_phone = _row("SELECT phone, phone_bidx, username, id FROM accounts_user")
        assert user_phone[1] == phone_index("+8613900139000") and "13900139000" not in user_phone[0]
        assert user_phone[2] == f"app-{user_phone[3]}"  # no longer named after the phone
        assert "6228480012345678" not in _row("SELECT account_number FROM casework_payeeaccount")[0]
        assert bytes(_row("SELECT embedding FROM facecheck_facetemplate")[0]) != embedding
        _migrate(BEFORE)
        assert _row("SELECT id_number, name, phone FROM accounts_pensioner") == (
            ID_NUMBER,
            "王 秀英",
            "+8613800138000",
        )
        assert _row("SELECT account_number FROM casework_payeeaccount") == ("6228480012345678",)
        assert _row("SELECT username, phone FROM accounts_user") == ("+8613900139000", "+8613900139000")
        assert bytes(_row("SELECT embedding FROM facecheck_facetemplate")[0]) == embedding
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
