"""The outbox keeps who a message is about as a plain id instead of a foreign key to accounts:
the SMS transport sits below the apps that know what a pensioner is. Values are copied both ways."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="smsoutbox",
            name="pensioner_id_ref",
            field=models.BigIntegerField(blank=True, db_index=True, null=True, verbose_name="pensioner"),
        ),
        migrations.RunSQL(
            "UPDATE notifications_smsoutbox SET pensioner_id_ref = pensioner_id",
            reverse_sql="UPDATE notifications_smsoutbox SET pensioner_id = pensioner_id_ref",
        ),
        migrations.RemoveField(model_name="smsoutbox", name="pensioner"),
    ]
