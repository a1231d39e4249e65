"""Phones in the SMS tables, step 2 of 3: encrypt the existing rows and fill their blind indexes.

Batched raw SQL (backend.migration_helpers), safe to run again; the reverse decrypts (same keys needed).
"""

from django.db import migrations

from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

TABLES = {
    "notifications_smsoutbox": [
        Column("recipient", "notifications.smsoutbox.recipient", "recipient_bidx", "phone"),
    ],
    "notifications_smsrecipientpreference": [
        Column("phone", "notifications.smsrecipientpreference.phone", "phone_bidx", "phone"),
    ],
    "notifications_smsinbound": [
        Column("from_phone", "notifications.smsinbound.from_phone", "from_phone_bidx", "phone"),
    ],
}


def forward(apps, schema_editor):
    for table, columns in TABLES.items():
        encrypt_columns(schema_editor, table, columns)


def backward(apps, schema_editor):
    for table, columns in TABLES.items():
        decrypt_columns(schema_editor, table, columns)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0003_encrypt_phones_schema"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
