"""Re-embed every template of another model with the configured model, from its stored photo.

    python manage.py facecheck_reembed [--limit N]

Run after installing a new pack and adding its thresholds, or after configuring a fusion recogniser
(FACECHECK_FUSION_RECOGNIZER_FILE): templates of the current model that lack its embedding get it from
their photo. Idempotent: templates already complete are left alone, so it can be interrupted and run again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from facecheck import services


class Command(BaseCommand):
    help = "Re-embed face templates made with another model (never compared across models)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--limit", type=int, default=0, help="at most N templates in this run")

    def handle(self, *args: Any, **options: Any) -> None:
        report = services.face_templates_reembed(limit=options["limit"] or None)
        self.stdout.write(
            f"re-embedded {report.reembedded}, other models' embeddings filled {report.filled}, "
            f"changed meanwhile {report.already_current}"
        )
        for template_id, reason in report.failed:
            self.stdout.write(f"template {template_id}: not re-embedded ({reason}); the pensioner needs a new photo")
        if report.failed:
            self.stdout.write(f"{len(report.failed)} template(s) need a new enrollment photo")
