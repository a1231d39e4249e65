"""Phones outside the registry, step 1 of 3 (login codes): ciphertext column and an empty blind index."""

from django.db import migrations

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0011_merge_requester_name_and_encryption"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="onetimecode", name="otc_phone_purpose_idx"),
        migrations.AlterField(
            model_name="onetimecode",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blind_index="phone_bidx", index_domain="phone", max_length=16, verbose_name="mobile phone"
            ),
        ),
        migrations.AddField(
            model_name="onetimecode",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
    ]
