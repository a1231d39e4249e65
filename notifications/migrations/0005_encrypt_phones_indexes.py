"""Phones in the SMS tables, step 3 of 3: the blind indexes become the (unique / indexed) lookup columns."""

from django.db import migrations

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0004_encrypt_phones_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="smsoutbox",
            name="recipient_bidx",
            field=backend.fields.BlindIndexField(db_index=True, verbose_name="recipient lookup index"),
        ),
        migrations.AlterField(
            model_name="smsrecipientpreference",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(unique=True, verbose_name="phone lookup index"),
        ),
        migrations.AlterField(
            model_name="smsinbound",
            name="from_phone_bidx",
            field=backend.fields.BlindIndexField(db_index=True, null=True, verbose_name="sender lookup index"),
        ),
    ]
