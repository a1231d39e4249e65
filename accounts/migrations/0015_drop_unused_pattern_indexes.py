"""Drop the ``varchar_pattern_ops`` (``…_like``) indexes PostgreSQL gets for indexed CharFields that
no query searches by prefix: the blind-index columns (only ever compared for equality: they are
HMACs) and the audit action (filtered by equality; admin search uses ``icontains``, which such an
index cannot serve). Every such index is written on each insert and on each non-HOT update of its
row: the comparison round updates ~10^5 pensioner rows and appends ~4·10^5 audit events.

Django keeps no state for these indexes (it creates them as a side effect of ``db_index``/``unique``
and drops them with ``IF EXISTS`` when altering the field), so this is a database-only operation.
Reversing recreates them exactly as Django would. Nothing to do on other databases.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

# (model, field) whose ``_like`` index goes.
FIELDS = (
    ("Pensioner", "id_number_bidx"),
    ("Pensioner", "name_bidx"),
    ("Pensioner", "phone_bidx"),
    ("User", "phone_bidx"),
    ("AuditEvent", "action"),
)


def _like_index_names(schema_editor: Any, table: str, column: str) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
            "AND indexdef LIKE %s",
            [table, f"%({column} varchar_pattern_ops)%"],
        )
        return [row[0] for row in cursor.fetchall()]


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, field_name in FIELDS:
        model = apps.get_model("accounts", model_name)
        column = model._meta.get_field(field_name).column
        for name in _like_index_names(schema_editor, model._meta.db_table, column):
            schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(name)}")


def recreate(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, field_name in FIELDS:
        model = apps.get_model("accounts", model_name)
        field = model._meta.get_field(field_name)
        if _like_index_names(schema_editor, model._meta.db_table, field.column):
            continue
        sql = schema_editor._create_like_index_sql(model, field)
        if sql is not None:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0014_encrypt_phones_indexes"),
    ]

    operations = [migrations.RunPython(drop, recreate, elidable=False)]
