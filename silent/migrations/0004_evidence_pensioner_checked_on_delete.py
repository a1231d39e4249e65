"""Events no longer check their pensioner row by row (a foreign-key trigger per inserted row cost
~20 s per 1.6 M-row file); the load's join on the registry proves it, and on PostgreSQL this
trigger refuses the rare delete (or id change) of a pensioner who still has events."""

import django.db.models.deletion
from django.db import migrations, models

GUARD = """
CREATE FUNCTION silent_pensioner_has_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM silent_evidenceevent WHERE pensioner_id = OLD.id) THEN
        RAISE EXCEPTION 'pensioner % has evidence events', OLD.id USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;
CREATE TRIGGER silent_pensioner_events_guard BEFORE DELETE OR UPDATE OF id ON accounts_pensioner
    FOR EACH ROW EXECUTE FUNCTION silent_pensioner_has_events();
"""
UNGUARD = """
DROP TRIGGER IF EXISTS silent_pensioner_events_guard ON accounts_pensioner;
DROP FUNCTION IF EXISTS silent_pensioner_has_events();
"""


def guard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GUARD, params=None)


def unguard(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UNGUARD, params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0011_merge_requester_name_and_encryption'),
        ('silent', '0003_evidence_lean_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='evidenceevent',
            name='pensioner',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='evidence_events', to='accounts.pensioner', verbose_name='pensioner'),
        ),
        migrations.RunPython(guard, unguard, elidable=False),
    ]
