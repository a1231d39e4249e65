"""Data-migration helpers that encrypt (or decrypt back) existing rows of encrypted columns in place.

Raw SQL in primary-key batches (``BATCH`` rows read, one ``executemany`` update per batch): the historical
model's fields would already try to decrypt what is still plaintext. Safe to run twice: a value that
already decrypts under a configured key is left as it is (forward), a value that does not is left as it
is (backward). The reverse needs the same keys as the forward run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from backend import crypto

BATCH = 2000


@dataclass(frozen=True)
class Column:
    name: str
    context: str  # the field's associated data: "<app_label>.<model_name>.<field name>"
    index_column: str = ""
    index_domain: str = ""
    binary: bool = False
    normalize: Callable[[str], str] | None = None  # the field's index_normalize


def _batches(schema_editor: Any, table: str, columns: list[Column]) -> Iterator[list[tuple[Any, ...]]]:
    quote = schema_editor.quote_name
    select = ", ".join(quote(c.name) for c in columns)
    sql = f"SELECT id, {select} FROM {quote(table)} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [last, BATCH])
            rows = cursor.fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield rows


def _is_ciphertext(value: Any, column: Column) -> bool:
    try:
        if column.binary:
            crypto.decrypt(bytes(value), context=column.context)
        else:
            crypto.decrypt_text(value, context=column.context)
    except (crypto.DecryptionError, ValueError):
        return False
    return True


def _update(schema_editor: Any, table: str, assignments: list[str], params: list[list[Any]]) -> None:
    if not params:
        return
    quote = schema_editor.quote_name
    sql = f"UPDATE {quote(table)} SET {', '.join(f'{quote(a)} = %s' for a in assignments)} WHERE id = %s"  # noqa: S608
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(sql, params)


def encrypt_columns(schema_editor: Any, table: str, columns: list[Column]) -> None:
    assignments = [c.name for c in columns] + [c.index_column for c in columns if c.index_column]
    for rows in _batches(schema_editor, table, columns):
        params = []
        for pk, *values in rows:
            encrypted, indexes = [], []
            for column, value in zip(columns, values, strict=True):
                if value is None or (value == "" and not column.binary) or _is_ciphertext(value, column):
                    plain = None if value is None or value == "" else _plaintext(value, column)
                    encrypted.append(value)
                else:
                    plain = value
                    encrypted.append(
                        crypto.encrypt(bytes(value), context=column.context)
                        if column.binary
                        else crypto.encrypt_text(str(value), context=column.context)
                    )
                if column.index_column:
                    if plain is not None and column.normalize is not None:
                        plain = column.normalize(plain)
                    indexes.append(None if plain is None else crypto.blind_index(plain, domain=column.index_domain))
            params.append([*encrypted, *indexes, pk])
        _update(schema_editor, table, assignments, params)


def _plaintext(value: Any, column: Column) -> Any:
    if column.binary:
        return crypto.decrypt(bytes(value), context=column.context)
    return crypto.decrypt_text(value, context=column.context)


def decrypt_columns(schema_editor: Any, table: str, columns: list[Column]) -> None:
    for rows in _batches(schema_editor, table, columns):
        params = []
        for pk, *values in rows:
            plain = [
                _plaintext(value, column) if value not in (None, "") and _is_ciphertext(value, column) else value
                for column, value in zip(columns, values, strict=True)
            ]
            params.append([*plain, pk])
        _update(schema_editor, table, [c.name for c in columns], params)


def create_pgcrypto(apps: Any, schema_editor: Any) -> None:
    """pgcrypto gives PostgreSQL ``hmac()``, for blind indexes computed in SQL (backend.crypto.blind_index_sql)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
