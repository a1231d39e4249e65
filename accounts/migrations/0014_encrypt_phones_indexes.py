"""Phones outside the registry, step 3 of 3: the login codes are counted by the blind index."""

from django.db import migrations, models

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0013_encrypt_phones_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="onetimecode",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(verbose_name="phone lookup index"),
        ),
        migrations.AddIndex(
            model_name="onetimecode",
            index=models.Index(fields=["phone_bidx", "purpose", "created_at"], name="otc_phone_purpose_idx"),
        ),
    ]
