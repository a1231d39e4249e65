"""Inserting many new rows of one model at once, with their primary keys set on the instances.

``bulk_create`` builds one ``INSERT … VALUES`` of thousands of parameters per batch; on PostgreSQL,
``bulk_insert`` takes the ids from the table's sequence first and streams the rows with ``COPY``,
which is several times cheaper per row at 10^5 rows (the comparison round). Same rows either way:
every concrete field goes through its own ``pre_save`` (``auto_now_add``) and ``get_db_prep_save``.
No signals are sent (``bulk_create`` sends none either).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.db import connection, models

# Field classes whose database value is the attribute itself (exact classes: a subclass such as an
# encrypted text field converts its value and goes through ``get_db_prep_save``).
_PLAIN = (
    models.BigIntegerField,
    models.IntegerField,
    models.PositiveBigIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.SmallIntegerField,
    models.CharField,
    models.TextField,
    models.SlugField,
    models.DateField,
    models.BooleanField,
    models.ForeignKey,
    models.OneToOneField,
)


def _getter(field: models.Field[Any, Any]) -> Callable[[Any], Any]:
    """How to read ``field``'s database value from an instance, as cheaply as is still exact."""
    kind = type(field)
    if kind in _PLAIN:
        attname = field.attname
        return lambda obj: getattr(obj, attname)
    if kind is models.DateTimeField and not (field.auto_now or field.auto_now_add):  # type: ignore[attr-defined]
        attname = field.attname
        return lambda obj: getattr(obj, attname)
    if kind is models.JSONField:
        attname, encoder = field.attname, field.encoder  # type: ignore[attr-defined]
        return lambda obj: None if getattr(obj, attname) is None else json.dumps(getattr(obj, attname), cls=encoder)
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, True), connection)


def bulk_insert(model: type[models.Model], objs: list[Any], *, batch_size: int = 1000) -> None:
    """Insert ``objs`` (new instances of ``model``, no pk yet) and set their pks."""
    if not objs:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    meta = model._meta
    pk_column = str(meta.pk.column)
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    columns = ", ".join(connection.ops.quote_name(str(field.column)) for field in fields)
    table = connection.ops.quote_name(meta.db_table)
    getters = [_getter(field) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk_column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        with cursor.cursor.copy(f"COPY {table} ({connection.ops.quote_name(pk_column)}, {columns}) FROM STDIN") as copy:
            for obj, pk in zip(objs, ids, strict=True):
                obj.pk = pk
                copy.write_row((pk, *(getter(obj) for getter in getters)))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
