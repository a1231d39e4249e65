"""Field-level and file encryption (backend.crypto, backend.fields, backend.storage), blind indexes."""

from __future__ import annotations

import os
import stat

import numpy as np
import pytest
from django.core.exceptions import FieldError, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction

from accounts.lookups import (
    id_number_index,
    id_number_index_sql,
    name_index,
    name_index_sql,
    phone_index,
    phone_index_sql,
)
from accounts.models import Pensioner, User
from backend import crypto
from backend.storage import EncryptedFileSystemStorage
from tests.factories import PensionerFactory, UserFactory

OLD_KEY = crypto.new_key()
NEW_KEY = crypto.new_key()


def _raw(table: str, column: str, pk: int) -> object:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_a_value_decrypts_to_itself_and_never_encrypts_the_same_twice():
    first = crypto.encrypt_text("张三", context="t.c")
    assert crypto.decrypt_text(first, context="t.c") == "张三"
    assert crypto.encrypt_text("张三", context="t.c") != first


def test_an_altered_ciphertext_does_not_decrypt():
    blob = bytearray(crypto.encrypt(b"6217000011112222", context="t.c"))
    blob[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(bytes(blob), context="t.c")


def test_a_ciphertext_moved_to_another_column_does_not_decrypt():
    token = crypto.encrypt_text("+8613800138000", context="accounts.user.phone")
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_text(token, context="accounts.pensioner.phone")


def test_an_old_key_still_decrypts_while_the_first_key_encrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    old = crypto.encrypt(b"x", context="t.c")
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert crypto.decrypt(old, context="t.c") == b"x"
    assert crypto.blob_key_id(crypto.encrypt(b"x", context="t.c")) == crypto.key_id(crypto.decode_key(NEW_KEY))
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(old, context="t.c")


def test_the_blind_index_is_stable_keyed_and_separated_by_kind(settings):
    assert id_number_index("360102195001010026") == id_number_index(" 360102195001010026 ")
    assert crypto.blind_index("1", domain="phone") != crypto.blind_index("1", domain="id_number")
    before = phone_index("+8613800138000")
    settings.FIELD_BLIND_INDEX_KEY = NEW_KEY
    assert phone_index("+8613800138000") != before


@pytest.mark.django_db
def test_postgresql_computes_the_same_blind_index_as_python():
    if connection.vendor != "postgresql":
        pytest.skip("pgcrypto hmac() is PostgreSQL's")
    id_sql, id_params = id_number_index_sql("%s")
    phone_sql, phone_params = phone_index_sql("%s")
    name_sql, name_params = name_index_sql("%s")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {id_sql}, {phone_sql}, {name_sql}",
            [
                *(id_params[0], "36010219500101002X", id_params[1]),
                *(phone_params[0], "+8613800138000", phone_params[1]),
                *(name_params[0], "阿卜杜 • 热合曼", name_params[1]),
            ],
        )
        from_sql = cursor.fetchone()
    assert from_sql == (
        id_number_index("36010219500101002X"),
        phone_index("+8613800138000"),
        name_index("阿卜杜·热合曼"),
    )


@pytest.mark.django_db
def test_postgresql_matches_rows_set_based_on_the_blind_index():
    if connection.vendor != "postgresql":
        pytest.skip("pgcrypto hmac() is PostgreSQL's")
    person = PensionerFactory()
    sql, params = id_number_index_sql("v.number")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.id FROM (VALUES (%s), (%s)) AS v(number) "  # noqa: S608
            f"JOIN accounts_pensioner p ON p.id_number_bidx = {sql}",
            [person.id_number, "110101194001010015", *params],
        )
        assert cursor.fetchall() == [(person.pk,)]


@pytest.mark.django_db
def test_personal_data_is_stored_encrypted_and_read_back_as_plaintext():
    person = PensionerFactory(name="王秀英", phone="+8613800138000")
    user = UserFactory(phone="+8613900139000")
    for table, column, pk, plain in [
        ("accounts_pensioner", "id_number", person.pk, person.id_number),
        ("accounts_pensioner", "name", person.pk, "王秀英"),
        ("accounts_pensioner", "phone", person.pk, "+8613800138000"),
        ("accounts_user", "phone", user.pk, "+8613900139000"),
    ]:
        stored = _raw(table, column, pk)
        assert plain not in stored and plain[-6:] not in stored
    fresh = Pensioner.objects.get(pk=person.pk)
    assert (fresh.name, fresh.phone, fresh.id_number) == ("王秀英", "+8613800138000", person.id_number)
    assert User.objects.get(pk=user.pk).phone == "+8613900139000"


@pytest.mark.django_db
def test_lookups_by_id_number_phone_and_name_use_the_blind_index():
    person = PensionerFactory(name="王秀英", phone="+8613800138000")
    assert Pensioner.objects.get(id_number_bidx=id_number_index(person.id_number)) == person
    assert Pensioner.objects.get(phone_bidx=phone_index("+8613800138000")) == person
    assert Pensioner.objects.get(name_bidx=name_index("王秀英")) == person


@pytest.mark.django_db
def test_comparing_the_ciphertext_is_refused_rather_than_silently_empty():
    with pytest.raises(FieldError):
        Pensioner.objects.filter(id_number="360102195001010026").exists()
    with pytest.raises(FieldError):
        Pensioner.objects.filter(name__contains="王").exists()


@pytest.mark.django_db
def test_changing_the_phone_moves_its_blind_index():
    person = PensionerFactory(phone="+8613800138000")
    person.phone = "+8613800138001"
    person.save()
    assert not Pensioner.objects.filter(phone_bidx=phone_index("+8613800138000")).exists()
    assert Pensioner.objects.filter(phone_bidx=phone_index("+8613800138001")).get() == person
    person.phone = None
    person.save()
    assert Pensioner.objects.get(pk=person.pk).phone_bidx is None


@pytest.mark.django_db
def test_an_id_number_is_unique_through_its_blind_index():
    person = PensionerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        PensionerFactory(id_number=person.id_number, region=person.region)


@pytest.mark.django_db
def test_a_malformed_id_number_is_refused_before_it_is_written():
    with pytest.raises(IntegrityError, match=r"accounts\.pensioner\.id_number"), transaction.atomic():
        PensionerFactory(id_number="36010219500101002")


@pytest.mark.django_db
def test_a_phone_not_in_e164_is_refused_before_it_is_written():
    with pytest.raises(IntegrityError, match=r"accounts\.pensioner\.phone"), transaction.atomic():
        PensionerFactory(phone="13800138000")
    with pytest.raises(IntegrityError, match=r"accounts\.user\.phone"), transaction.atomic():
        UserFactory(phone="+1415555")


@pytest.mark.django_db
def test_model_validation_reports_the_format_rules():
    person = PensionerFactory.build(id_number="123", phone="138")
    with pytest.raises(ValidationError) as raised:
        person.full_clean(exclude=["region", "user", "last_certification"])
    assert {"id_number", "phone"} <= set(raised.value.message_dict)


@pytest.mark.django_db
def test_a_bank_account_number_is_stored_encrypted():
    from casework.services.ledger import payee_account_set

    person = PensionerFactory()
    account = payee_account_set(pensioner=person, bank_name="农行", account_number="6228480012345678", actor=None)
    assert "6228480012345678" not in _raw("casework_payeeaccount", "account_number", account.pk)
    assert type(account).objects.get(pk=account.pk).last4 == "5678"


@pytest.mark.django_db
def test_a_face_embedding_is_stored_encrypted():
    from facecheck.models import FaceTemplate

    vector = np.arange(4, dtype=np.float32)
    template = FaceTemplate.objects.create(
        pensioner=PensionerFactory(),
        kind="reference",
        source="enrollment",
        model_id="m",
        embedding=vector.tobytes(),
        embedding_dim=4,
        photo="x.jpg",
        photo_sha256="0" * 64,
        photo_phash=0,
        face_phash=0,
    )
    assert vector.tobytes() not in bytes(_raw("facecheck_facetemplate", "embedding", template.pk))
    assert (FaceTemplate.objects.get(pk=template.pk).vector == vector).all()


def test_stored_files_are_encrypted_owner_only_and_read_back(tmp_path):
    storage = EncryptedFileSystemStorage(location=tmp_path)
    name = storage.save("a/photo.jpg", ContentFile(b"\xff\xd8 jpeg bytes"))
    on_disk = (tmp_path / name).read_bytes()
    assert b"jpeg bytes" not in on_disk and crypto.is_encrypted_file(on_disk)
    assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "a").st_mode) == 0o700
    with storage.open(name) as handle:
        assert handle.read() == b"\xff\xd8 jpeg bytes"
    assert storage.size(name) == len(b"\xff\xd8 jpeg bytes")


def test_files_written_before_encryption_still_read(tmp_path):
    (tmp_path / "old.jpg").write_bytes(b"\xff\xd8 old")
    storage = EncryptedFileSystemStorage(location=tmp_path)
    assert storage.open("old.jpg").read() == b"\xff\xd8 old"
    assert storage.size("old.jpg") == len(b"\xff\xd8 old")


def test_an_altered_file_does_not_read(tmp_path):
    storage = EncryptedFileSystemStorage(location=tmp_path)
    name = storage.save("p.jpg", ContentFile(b"\xff\xd8 data"))
    data = bytearray((tmp_path / name).read_bytes())
    data[-1] ^= 1
    (tmp_path / name).write_bytes(bytes(data))
    with pytest.raises(crypto.DecryptionError):
        storage.open(name)


@pytest.mark.django_db
def test_a_new_app_user_is_not_named_after_their_phone():
    from accounts.services import app_user_get_or_create

    user = app_user_get_or_create(phone="+8613800138000")
    assert "13800138000" not in user.username
    assert app_user_get_or_create(phone="+8613800138000") == user


@pytest.mark.django_db
def test_a_duplicate_id_number_is_a_validation_error_of_the_id_number():
    person = PensionerFactory()
    twin = PensionerFactory.build(id_number=person.id_number, region=person.region)
    with pytest.raises(ValidationError) as raised:
        twin.validate_unique()
    assert "id_number" in raised.value.message_dict
