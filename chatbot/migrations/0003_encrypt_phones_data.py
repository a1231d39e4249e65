"""Phones in chatbot conversations and callback requests, step 2 of 3: encrypt the existing rows and fill
their blind indexes (an app conversation's empty phone stays empty, with no index).

Batched raw SQL (backend.migration_helpers), safe to run again; the reverse decrypts (same keys needed).
"""

from django.db import migrations

from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

TABLES = {
    "chatbot_conversation": [Column("phone", "chatbot.conversation.phone", "phone_bidx", "phone")],
    "chatbot_callbackrequest": [Column("phone", "chatbot.callbackrequest.phone", "phone_bidx", "phone")],
}


def forward(apps, schema_editor):
    for table, columns in TABLES.items():
        encrypt_columns(schema_editor, table, columns)


def backward(apps, schema_editor):
    for table, columns in TABLES.items():
        decrypt_columns(schema_editor, table, columns)


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0002_encrypt_phones_schema"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
