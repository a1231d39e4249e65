"""Holds placed by cases move from ``Case.details["hold"]`` (untyped JSON) to the typed
``selfservice.BenefitHold``, one per benefit of the person, so releasing a hold is the benefit
service's job. The JSON is left in place (history); reversing removes the typed rows."""

import datetime

from django.db import migrations


def forward(apps, schema_editor):
    Case = apps.get_model("casework", "Case")
    Benefit = apps.get_model("selfservice", "Benefit")
    BenefitHold = apps.get_model("selfservice", "BenefitHold")
    for case in Case.objects.exclude(details={}).iterator():
        hold = (case.details or {}).get("hold")
        if not hold:
            continue
        cause = f"case:{case.pk}"
        released = None if case.status in ("open", "accepted") else (case.decided_at or case.updated_at).date()
        previous = {"active": "active", "suspended": "suspended", "terminated": "terminated"}.get(
            hold.get("previous_status"), "active"
        )
        previous_reason = "" if previous == "active" else (hold.get("previous_reason") or "other")
        for benefit in Benefit.objects.filter(pensioner_id=case.pensioner_id).exclude(status="terminated"):
            BenefitHold.objects.get_or_create(
                benefit=benefit,
                cause=cause,
                defaults={
                    "reason": hold.get("reason") or "death_report",
                    "previous_status": previous,
                    "previous_reason": previous_reason,
                    "previous_since": datetime.date.fromisoformat(hold["previous_since"]),
                    "held_on": datetime.date.fromisoformat(hold["held_on"]),
                    "released_on": released,
                },
            )


def backward(apps, schema_editor):
    apps.get_model("selfservice", "BenefitHold").objects.filter(cause__startswith="case:").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0002_reports_cases_ledger"),
        ("selfservice", "0002_benefits"),
    ]

    operations = [migrations.RunPython(forward, backward)]
