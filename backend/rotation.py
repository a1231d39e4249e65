"""Key rotation for data at rest: every encrypted column and file under the current key, blind indexes
under the current index key (``manage.py encryption_rotate``).

Generic over the app registry: every ``EncryptedTextField`` / ``EncryptedBinaryField`` and every file
field whose storage is ``EncryptedFileSystemStorage``, whatever app declares it. Rows are read by primary
key in batches with raw SQL (so the current key id of each value is visible) and a batch is written in
one short transaction. Idempotent: a value already under the current key, a blind index already right
and a file already encrypted with the current key are left alone, so a run that stopped half-way is
resumed by running it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction

from backend import crypto
from backend.fields import EncryptedBinaryField, EncryptedTextField
from backend.storage import EncryptedFileSystemStorage


@dataclass
class Counts:
    rows_checked: int = 0
    values_reencrypted: int = 0
    indexes_recomputed: int = 0
    files_checked: int = 0
    files_rewritten: int = 0
    files_missing: int = 0
    per_model: dict[str, int] = field(default_factory=dict)


def encrypted_models() -> Iterator[tuple[type[models.Model], list[Any]]]:
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField | EncryptedBinaryField)]
        if fields:
            yield model, fields


def file_fields() -> Iterator[tuple[type[models.Model], models.FileField]]:
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.FileField) and isinstance(f.storage, EncryptedFileSystemStorage):
                yield model, f


def _key_of(value: Any, binary: bool) -> bytes:
    return crypto.blob_key_id(bytes(value)) if binary else crypto.text_key_id(value)


def _rotate_model(
    model: type[models.Model], fields: list[Any], batch: int, counts: Counts, progress: Callable[[str], None]
) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = quote(str(model._meta.pk.column))  # type: ignore[union-attr]
    index_fields: dict[str, Any] = {
        f.attname: model._meta.get_field(f.blind_index)
        for f in fields
        if isinstance(f, EncryptedTextField) and f.blind_index
    }
    columns: list[str] = [f.column for f in fields]
    columns += [index_fields[f.attname].column for f in fields if f.attname in index_fields]
    select = f"SELECT {pk}, {', '.join(quote(c) for c in columns)} FROM {table} WHERE {pk} > %s ORDER BY {pk} LIMIT %s"  # noqa: S608
    current = crypto.current_key_id()
    last: Any = None
    while True:
        with connection.cursor() as cursor:
            if last is None:
                cursor.execute(select.replace(f"WHERE {pk} > %s ", ""), [batch])
            else:
                cursor.execute(select, [last, batch])
            rows = cursor.fetchall()
        if not rows:
            return
        last = rows[-1][0]
        updates: list[tuple[list[str], list[Any]]] = []
        for row in rows:
            counts.rows_checked += 1
            values = dict(zip(columns, row[1:], strict=True))
            changed: dict[str, Any] = {}
            for f in fields:
                stored = values[f.column]
                binary = isinstance(f, EncryptedBinaryField)
                if stored is None or (stored == "" and not binary):
                    continue
                plain = f.from_db_value(stored, None, connection)
                if _key_of(stored, binary) != current:
                    changed[f.column] = (
                        crypto.encrypt(plain, context=f.context)
                        if binary
                        else crypto.encrypt_text(plain, context=f.context)
                    )
                    counts.values_reencrypted += 1
                if f.attname in index_fields:
                    expected = f.index_of(plain)
                    index_column = index_fields[f.attname].column
                    if values[index_column] != expected:
                        changed[index_column] = expected
                        counts.indexes_recomputed += 1
            if changed:
                updates.append((list(changed), [*changed.values(), row[0]]))
        if updates:
            with transaction.atomic(), connection.cursor() as cursor:
                for names, params in updates:
                    sets = ", ".join(f"{quote(n)} = %s" for n in names)
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s", params)  # noqa: S608
        counts.per_model[model._meta.label] = counts.per_model.get(model._meta.label, 0) + len(updates)
        progress(f"{model._meta.label}: up to pk {last}, {len(updates)} row(s) rewritten")


def _rotate_files(model: type[models.Model], file_field: models.FileField, batch: int, counts: Counts) -> None:
    storage = file_field.storage
    if not isinstance(storage, EncryptedFileSystemStorage):
        return
    names = model._default_manager.exclude(**{file_field.name: ""}).values_list(file_field.name, flat=True)
    for name in names.order_by("pk").iterator(chunk_size=batch):
        counts.files_checked += 1
        if not storage.exists(name):
            counts.files_missing += 1
            continue
        if storage.rewrite_encrypted(name):
            counts.files_rewritten += 1


def rotate(*, batch: int = 1000, files: bool = True, progress: Callable[[str], None] = lambda _: None) -> Counts:
    counts = Counts()
    for model, fields in encrypted_models():
        _rotate_model(model, fields, batch, counts, progress)
    if files:
        for model, file_field in file_fields():
            _rotate_files(model, file_field, batch, counts)
            progress(f"{model._meta.label}.{file_field.name}: files checked")
    return counts
