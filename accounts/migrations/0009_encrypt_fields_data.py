"""Field-level encryption, step 2 of 3: encrypt the existing rows and fill their blind indexes.

Batched raw SQL (backend.migration_helpers), safe to run again. Reversible: the reverse decrypts back to
plaintext, which needs the same FIELD_ENCRYPTION_KEYS as the forward run.
"""

from django.db import migrations

from accounts.lookups import canonical_name
from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

PENSIONER = [
    Column("id_number", "accounts.pensioner.id_number", "id_number_bidx", "id_number"),
    Column("name", "accounts.pensioner.name", "name_bidx", "name", normalize=canonical_name),
    Column("phone", "accounts.pensioner.phone", "phone_bidx", "phone"),
]
USER = [Column("phone", "accounts.user.phone", "phone_bidx", "phone")]


def _rename_app_users(schema_editor, *, forward):
    """App users were named after their phone: a plaintext copy of it. They become "app-<id>"; backwards,
    "app-<id>" users with a phone get the phone back as username."""
    with schema_editor.connection.cursor() as cursor:
        if forward:
            cursor.execute("UPDATE accounts_user SET username = 'app-' || id WHERE phone IS NOT NULL AND username = phone")
        else:
            cursor.execute("UPDATE accounts_user SET username = phone WHERE phone IS NOT NULL AND username = 'app-' || id")


def forward(apps, schema_editor):
    _rename_app_users(schema_editor, forward=True)
    encrypt_columns(schema_editor, "accounts_pensioner", PENSIONER)
    encrypt_columns(schema_editor, "accounts_user", USER)


def backward(apps, schema_editor):
    decrypt_columns(schema_editor, "accounts_pensioner", PENSIONER)
    decrypt_columns(schema_editor, "accounts_user", USER)
    _rename_app_users(schema_editor, forward=False)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_encrypt_fields_schema"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
