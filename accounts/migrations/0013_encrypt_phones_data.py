"""Phones outside the registry, step 2 of 3: encrypt the login codes' phones and fill their blind index.

Batched raw SQL (backend.migration_helpers), safe to run again; the reverse decrypts (same keys needed).
"""

from django.db import migrations

from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

CODES = [Column("phone", "accounts.onetimecode.phone", "phone_bidx", "phone")]


def forward(apps, schema_editor):
    encrypt_columns(schema_editor, "accounts_onetimecode", CODES)


def backward(apps, schema_editor):
    decrypt_columns(schema_editor, "accounts_onetimecode", CODES)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0012_encrypt_phones_schema"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
