"""Field-level encryption, step 1 of 3: ciphertext columns and (still empty) blind-index columns.

The CHECK constraints on the plaintext (ID format, E.164 phone) cannot hold on a ciphertext: the same
rules are checked before every write by the fields' validators (backend.fields). On PostgreSQL, pgcrypto
provides ``hmac()`` for blind indexes computed in SQL.
"""

import django.core.validators
from django.db import migrations, models

import accounts.lookups
import backend.fields
from backend.migration_helpers import create_pgcrypto


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0007_auditevent_hash_chain"),
    ]

    operations = [
        migrations.RunPython(create_pgcrypto, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(model_name="pensioner", name="pensioner_id_number_format"),
        migrations.RemoveConstraint(model_name="pensioner", name="pensioner_phone_mainland_e164"),
        migrations.RemoveConstraint(model_name="user", name="user_phone_mainland_e164"),
        migrations.AlterField(
            model_name="pensioner",
            name="id_number",
            field=backend.fields.EncryptedTextField(
                blind_index="id_number_bidx",
                index_domain="id_number",
                max_length=18,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[1-9][0-9]{16}[0-9X]$", "Enter an 18-character resident ID number."
                    )
                ],
                verbose_name="resident ID number",
            ),
        ),
        migrations.AlterField(
            model_name="pensioner",
            name="name",
            field=backend.fields.EncryptedTextField(
                blind_index="name_bidx",
                index_domain="name",
                index_normalize=accounts.lookups.canonical_name,
                max_length=50,
                validators=[django.core.validators.MaxLengthValidator(50)],
                verbose_name="name",
            ),
        ),
        migrations.AlterField(
            model_name="pensioner",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blank=True,
                blind_index="phone_bidx",
                index_domain="phone",
                max_length=16,
                null=True,
                validators=[
                    django.core.validators.RegexValidator("^\\+861[3-9][0-9]{9}$", "Enter a mainland mobile number.")
                ],
                verbose_name="mobile phone",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blank=True,
                blind_index="phone_bidx",
                index_domain="phone",
                max_length=16,
                null=True,
                validators=[
                    django.core.validators.RegexValidator("^\\+861[3-9][0-9]{9}$", "Enter a mainland mobile number.")
                ],
                verbose_name="mobile phone",
            ),
        ),
        migrations.AddField(
            model_name="pensioner",
            name="id_number_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="ID number lookup index"),
        ),
        migrations.AddField(
            model_name="pensioner",
            name="name_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="name lookup index"),
        ),
        migrations.AddField(
            model_name="pensioner",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
        migrations.AddField(
            model_name="user",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
    ]
