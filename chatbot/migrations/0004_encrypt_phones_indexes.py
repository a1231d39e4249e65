"""Phones in chatbot conversations and callback requests, step 3 of 3: the blind indexes become the
indexed lookup columns, and a conversation has a user or an indexed phone."""

from django.db import migrations, models

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0003_encrypt_phones_data"),
    ]

    operations = [
        migrations.AlterField(
            model_name="callbackrequest",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(db_index=True, verbose_name="phone lookup index"),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(fields=["phone_bidx", "channel", "-updated_at"], name="chatbot_conv_phone_idx"),
        ),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.CheckConstraint(
                condition=models.Q(("user__isnull", False), ("phone_bidx__isnull", False), _connector="OR"),
                name="chatbot_conversation_has_identity",
            ),
        ),
    ]
