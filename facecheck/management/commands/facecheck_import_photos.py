"""Enroll reference photos from a folder of ID photos named by resident ID number.

    python manage.py facecheck_import_photos /data/id_photos [--replace] [--dry-run]

``110101194910010014.jpg`` (any of .jpg .jpeg .png .webp .heic, upper or lower case) enrolls the
pensioner with that ID number. Pensioners who already have an active template are skipped unless
--replace is given (re-enrollment keeps the old template as history). Every photo goes through the
same quality gates as a selfie; refusals are listed with their code so staff can fetch a better photo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.lookups import id_number_index
from accounts.models import Pensioner
from facecheck import services
from facecheck.engine.errors import FaceImageError
from facecheck.models import FaceTemplate

SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"}


class Command(BaseCommand):
    help = "Enroll ID photos named <ID number>.<ext> from a folder."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", type=Path)
        parser.add_argument("--replace", action="store_true", help="re-enroll pensioners who already have a photo")
        parser.add_argument("--dry-run", action="store_true", help="check the photos, store nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        folder = Path(options["folder"])
        if not folder.is_dir():
            raise CommandError(f"{folder} is not a directory")
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise CommandError(f"{folder} holds no photos ({', '.join(sorted(SUFFIXES))})")
        engine = services.face_engine()
        counts = {"enrolled": 0, "skipped": 0, "unknown": 0, "refused": 0}
        for path in files:
            id_number = path.stem.strip().upper()
            pensioner = Pensioner.objects.filter(id_number_bidx=id_number_index(id_number)).first()
            if pensioner is None:
                counts["unknown"] += 1
                self.stdout.write(f"{path.name}: no pensioner with this ID number")
                continue
            if not options["replace"] and FaceTemplate.objects.filter(pensioner=pensioner, is_active=True).exists():
                counts["skipped"] += 1
                continue
            data = path.read_bytes()
            try:
                if options["dry_run"]:
                    engine.analyze_bytes(data)
                else:
                    services.face_template_enroll(
                        pensioner=pensioner, image=data, enrolled_by=None, source=FaceTemplate.Source.IMPORT
                    )
            except FaceImageError as exc:
                counts["refused"] += 1
                self.stdout.write(f"{path.name}: refused ({exc.code})")
                continue
            counts["enrolled"] += 1
        verb = "would enroll" if options["dry_run"] else "enrolled"
        self.stdout.write(
            f"{verb} {counts['enrolled']}, skipped {counts['skipped']} (already enrolled), "
            f"refused {counts['refused']}, unknown ID number {counts['unknown']}"
        )
