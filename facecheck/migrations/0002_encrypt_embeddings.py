"""Face embeddings encrypted in their columns (backend.fields.EncryptedBinaryField): no schema change, the
existing rows encrypted in batches (backend.migration_helpers); reversible with the same keys."""

from django.db import migrations

import backend.fields
from backend.migration_helpers import Column, decrypt_columns, encrypt_columns

COLUMNS = [
    Column("embedding", "facecheck.facetemplate.embedding", binary=True),
    Column("second_embedding", "facecheck.facetemplate.second_embedding", binary=True),
]


def forward(apps, schema_editor):
    encrypt_columns(schema_editor, "facecheck_facetemplate", COLUMNS)


def backward(apps, schema_editor):
    decrypt_columns(schema_editor, "facecheck_facetemplate", COLUMNS)


class Migration(migrations.Migration):
    dependencies = [
        ("facecheck", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="facetemplate",
            name="embedding",
            field=backend.fields.EncryptedBinaryField(verbose_name="embedding"),
        ),
        migrations.AlterField(
            model_name="facetemplate",
            name="second_embedding",
            field=backend.fields.EncryptedBinaryField(blank=True, null=True, verbose_name="second embedding"),
        ),
        migrations.RunPython(forward, backward, elidable=False),
    ]
