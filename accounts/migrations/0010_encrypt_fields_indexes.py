"""Field-level encryption, step 3 of 3: the blind indexes become the unique / indexed lookup columns."""

from django.db import migrations, models

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_encrypt_fields_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="pensioner",
            name="id_number_bidx",
            field=backend.fields.BlindIndexField(unique=True, verbose_name="ID number lookup index"),
        ),
        migrations.AlterField(
            model_name="pensioner",
            name="name_bidx",
            field=backend.fields.BlindIndexField(db_index=True, verbose_name="name lookup index"),
        ),
        migrations.AlterField(
            model_name="pensioner",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(db_index=True, null=True, verbose_name="phone lookup index"),
        ),
        migrations.AlterField(
            model_name="user",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, unique=True, verbose_name="phone lookup index"),
        ),
        migrations.AddConstraint(
            model_name="pensioner",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("phone__isnull", True), ("phone_bidx__isnull", True)),
                    models.Q(("phone__isnull", False), ("phone_bidx__isnull", False)),
                    _connector="OR",
                ),
                name="pensioner_phone_indexed",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("phone__isnull", True), ("phone_bidx__isnull", True)),
                    models.Q(("phone__isnull", False), ("phone_bidx__isnull", False)),
                    _connector="OR",
                ),
                name="user_phone_indexed",
            ),
        ),
    ]
