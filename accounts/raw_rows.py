"""Column values for set-based inserts (COPY, executemany) of people, encrypted as the ORM would write them.

Benchmarks and bulk imports that bypass the ORM must still store ciphertext and blind indexes:
``PENSIONER_PRIVATE_COLUMNS`` and ``pensioner_private_values(...)`` replace the plaintext ``id_number,
name, phone`` columns; ``USER_PHONE_COLUMNS`` / ``user_phone_values(...)`` the user's ``phone``.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from accounts.models import Pensioner, User

PENSIONER_PRIVATE_COLUMNS = "id_number, id_number_bidx, name, name_bidx, phone, phone_bidx"
USER_PHONE_COLUMNS = "phone, phone_bidx"


def _encrypted(model: Any, field_name: str, value: str | None) -> tuple[str | None, str | None]:
    field = model._meta.get_field(field_name)
    return field.get_db_prep_save(value, connection), field.index_of(value)


def pensioner_private_values(*, id_number: str, name: str, phone: str | None) -> tuple[str | None, ...]:
    return (
        *_encrypted(Pensioner, "id_number", id_number),
        *_encrypted(Pensioner, "name", name),
        *_encrypted(Pensioner, "phone", phone),
    )


def user_phone_values(phone: str | None) -> tuple[str | None, str | None]:
    return _encrypted(User, "phone", phone)
