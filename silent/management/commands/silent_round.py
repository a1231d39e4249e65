"""``manage.py silent_round``: run the comparison round now (the schedule runs it daily)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from silent.services.rounds import silent_round


class Command(BaseCommand):
    help = (
        "Compare the loaded agency records with the registry: act on death, custody and release signals, grade "
        "everyone, certify people due soon who have strong evidence. Safe to run twice a day."
    )

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        report = silent_round()
        self.stdout.write(f"certified: {report.certified}")
        self.stdout.write(f"graded: {report.graded}")
        self.stdout.write(f"holds: {report.holds}")
        self.stdout.write(f"suspensions: {report.suspensions}")
        self.stdout.write(f"cases: {report.cases}")
