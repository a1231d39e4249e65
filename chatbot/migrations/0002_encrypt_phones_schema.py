"""Phones in chatbot conversations and callback requests, step 1 of 3: ciphertext columns and (still
empty) blind-index columns. The identity check moves to the index in step 3 (a ciphertext cannot be
compared with '')."""

from django.db import migrations

import backend.fields


class Migration(migrations.Migration):
    dependencies = [
        ("chatbot", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="conversation", name="chatbot_conversation_has_identity"),
        migrations.RemoveIndex(model_name="conversation", name="chatbot_conv_phone_idx"),
        migrations.AlterField(
            model_name="conversation",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blank=True, blind_index="phone_bidx", index_domain="phone", max_length=16, verbose_name="mobile phone"
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
        migrations.AlterField(
            model_name="callbackrequest",
            name="phone",
            field=backend.fields.EncryptedTextField(
                blind_index="phone_bidx", index_domain="phone", max_length=16, verbose_name="call back on"
            ),
        ),
        migrations.AddField(
            model_name="callbackrequest",
            name="phone_bidx",
            field=backend.fields.BlindIndexField(null=True, verbose_name="phone lookup index"),
        ),
    ]
