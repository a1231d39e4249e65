"""The payee's bank account number encrypted (backend.fields); its digits rule moves to the field's validator.

Two operations then a batched data migration (backend.migration_helpers), reversible with the same keys.
"""

import django.core.validators
from django.db import migrations

import backend.fields
from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

COLUMNS = [Column("account_number", "casework.payeeaccount.account_number")]


def forward(apps, schema_editor):
    encrypt_columns(schema_editor, "casework_payeeaccount", COLUMNS)


def backward(apps, schema_editor):
    decrypt_columns(schema_editor, "casework_payeeaccount", COLUMNS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0006_case_categories_combined"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="payeeaccount", name="payee_account_digits"),
        migrations.AlterField(
            model_name="payeeaccount",
            name="account_number",
            field=backend.fields.EncryptedTextField(
                max_length=32,
                validators=[django.core.validators.RegexValidator("^[0-9]{8,32}$", "Digits only, 8 to 32.")],
                verbose_name="account number",
            ),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
