"""Phones in the SMS tables, step 1 of 3: ciphertext columns and (still empty) blind-index columns."""

from django.db import migrations

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0002_outbox_pensioner_plain_id"),
    ]

    operations = [
        migrations.AlterField(
            model_name="smsoutbox",
            name="recipient",
            field=backend.fields.EncryptedTextField(
                blind_index="recipient_bidx", index_domain="phone", max_length=16, verbose_name="recipient"
            ),
        ),
        migrations.AddField(
            model_name="smsoutbox",
            name="recipient_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="recipient lookup index"),
        ),
        migrations.AlterField(
            model_name="smsrecipientpreference",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blind_index="phone_bidx", index_domain="phone", max_length=16, verbose_name="mobile phone"
            ),
        ),
        migrations.AddField(
            model_name="smsrecipientpreference",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
        migrations.AlterField(
            model_name="smsinbound",
            name="from_phone",
            field=backend.fields.EncryptedTextField(
                blind_index="from_phone_bidx", index_domain="phone", max_length=32, verbose_name="from"
            ),
        ),
        migrations.AddField(
            model_name="smsinbound",
            name="from_phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="sender lookup index"),
        ),
    ]
