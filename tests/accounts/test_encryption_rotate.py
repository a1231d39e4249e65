"""``manage.py encryption_rotate``: every encrypted column and file under the current key, blind indexes
under the current index key; batched, idempotent (a rerun is the resume)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection

from accounts.lookups import id_number_index, phone_index
from accounts.models import Pensioner, User
from backend import crypto
from casework.models import PayeeAccount
from casework.services.ledger import payee_account_set
from facecheck.models import FaceTemplate
from tests.factories import PensionerFactory, UserFactory

pytestmark = pytest.mark.django_db

OLD_KEY = crypto.new_key()
NEW_KEY = crypto.new_key()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]


def _rotate() -> str:
    out = io.StringIO()
    call_command("encryption_rotate", batch=2, stdout=out)
    return out.getvalue()


def _raw_key_ids() -> set[bytes]:
    ids = set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, name, phone FROM accounts_pensioner")
        ids |= {crypto.text_key_id(v) for row in cursor.fetchall() for v in row if v}
        cursor.execute("SELECT phone FROM accounts_user WHERE phone IS NOT NULL")
        ids |= {crypto.text_key_id(v) for (v,) in cursor.fetchall()}
        cursor.execute("SELECT account_number FROM casework_payeeaccount")
        ids |= {crypto.text_key_id(v) for (v,) in cursor.fetchall()}
        cursor.execute("SELECT embedding FROM facecheck_facetemplate")
        ids |= {crypto.blob_key_id(bytes(v)) for (v,) in cursor.fetchall()}
    return ids


def _template(pensioner: Pensioner, photo: str) -> FaceTemplate:
    return FaceTemplate.objects.create(
        pensioner=pensioner,
        kind="reference",
        source="enrollment",
        model_id="m",
        embedding=np.ones(4, dtype=np.float32).tobytes(),
        embedding_dim=4,
        photo=photo,
        photo_sha256="0" * 64,
        photo_phash=0,
        face_phash=0,
    )


def _people() -> list[Pensioner]:
    people = PensionerFactory.create_batch(5)
    UserFactory(phone="+8613900139000")
    payee_account_set(pensioner=people[0], bank_name="农行", account_number="6228480012345678", actor=None)
    name = default_storage.save("facecheck/templates/a.jpg", ContentFile(b"\xff\xd8 face"))
    _template(people[0], name)
    return people


def test_every_value_and_file_moves_to_the_new_key(settings):
    people = _people()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    _rotate()
    assert _raw_key_ids() == {crypto.key_id(crypto.decode_key(NEW_KEY))}
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key can go
    assert Pensioner.objects.get(pk=people[0].pk).name == people[0].name
    assert User.objects.get(phone_bidx=phone_index("+8613900139000")).phone == "+8613900139000"
    assert PayeeAccount.objects.get(pensioner=people[0]).last4 == "5678"
    template = FaceTemplate.objects.get()
    assert (template.vector == 1).all()
    with template.photo.open("rb") as handle:
        assert handle.read() == b"\xff\xd8 face"


def test_a_second_run_changes_nothing(settings):
    _people()
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    first = _rotate()
    assert "values re-encrypted 0" not in first
    again = _rotate()
    assert "values re-encrypted 0, blind indexes recomputed 0" in again
    assert "rewritten 0" in again


def test_a_new_index_key_recomputes_the_blind_indexes(settings):
    people = _people()
    settings.FIELD_BLIND_INDEX_KEY = crypto.new_key()
    assert not Pensioner.objects.filter(id_number_bidx=id_number_index(people[1].id_number)).exists()
    _rotate()
    assert Pensioner.objects.get(id_number_bidx=id_number_index(people[1].id_number)) == people[1]
    assert User.objects.filter(phone_bidx=phone_index("+8613900139000")).exists()


def test_a_file_written_before_encryption_is_encrypted_in_place(settings, tmp_path):
    people = _people()
    folder = tmp_path / "media" / "facecheck" / "templates"
    (folder / "old.jpg").write_bytes(b"\xff\xd8 old face")
    _template(people[1], "facecheck/templates/old.jpg")
    _rotate()
    on_disk = (folder / "old.jpg").read_bytes()
    assert crypto.is_encrypted_file(on_disk) and b"old face" not in on_disk
    assert (folder / "old.jpg").stat().st_mode & 0o777 == 0o600
    assert default_storage.open("facecheck/templates/old.jpg").read() == b"\xff\xd8 old face"
