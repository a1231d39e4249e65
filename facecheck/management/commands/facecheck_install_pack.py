"""Install a face model pack from a local directory (or a local .zip such as buffalo_sc.zip).

    python manage.py facecheck_install_pack /media/usb/buffalo_sc [--name buffalo_sc] [--dest DIR] [--force]

Nothing is downloaded. Every .onnx file is checked by loading it through insightface's model zoo:
the pack must hold one SCRFD detector with landmarks and one ArcFace-style recogniser. The files
are copied into a temporary directory next to the destination and renamed into place, so a
half-copied pack is never live; a SHA256SUMS file records what was installed.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from facecheck.engine.loader import PROVIDERS, file_sha256


class Command(BaseCommand):
    help = "Validate and install a local face model pack (never downloads)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=Path, help="directory (or .zip) holding the pack's .onnx files")
        parser.add_argument(
            "--name", help="install as <parent of FACECHECK_MODEL_DIR>/<name> instead of FACECHECK_MODEL_DIR"
        )
        parser.add_argument("--dest", type=Path, help="explicit destination directory")
        parser.add_argument("--force", action="store_true", help="replace an existing destination")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"]).expanduser()
        configured = Path(settings.FACECHECK_MODEL_DIR).expanduser()
        if options["dest"]:
            dest = Path(options["dest"]).expanduser()
        elif options["name"]:
            dest = configured.parent / options["name"]
        else:
            dest = configured
        if dest.exists() and not options["force"]:
            raise CommandError(f"{dest} already exists; pass --force to replace it")

        with tempfile.TemporaryDirectory() as unpack_dir:
            if source.is_file() and zipfile.is_zipfile(source):
                source = _unzip(source, Path(unpack_dir))
            if not source.is_dir():
                raise CommandError(f"{source} is not a directory or a .zip file")
            files = sorted(source.glob("*.onnx"))
            if not files:
                raise CommandError(f"{source} holds no .onnx files")
            tasks = _check(files)
            dest.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
            try:
                sums = []
                for path in files:
                    shutil.copy2(path, staging / path.name)
                    digest = file_sha256(staging / path.name)
                    if digest != file_sha256(path):
                        raise CommandError(f"copy of {path.name} does not match its source")
                    sums.append(f"{digest}  {path.name}")
                (staging / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
                if dest.exists():
                    shutil.rmtree(dest)
                staging.rename(dest)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        for path in files:
            self.stdout.write(f"{tasks[path.name]:<12} {path.name}  {file_sha256(dest / path.name)}")
        self.stdout.write(self.style.SUCCESS(f"installed into {dest}"))
        if dest.resolve() != configured.resolve():
            self.stdout.write(f"set FACECHECK_MODEL_DIR={dest} to use it")
        self.stdout.write(
            "a new recogniser needs its own FACECHECK_THRESHOLDS entry (calibrate with facecheck_eval), "
            "then `manage.py facecheck_reembed` for existing templates"
        )


def _unzip(archive: Path, into: Path) -> Path:
    with zipfile.ZipFile(archive) as handle:
        for member in handle.namelist():
            target = (into / member).resolve()
            if not str(target).startswith(str(into.resolve())):
                raise CommandError(f"{archive} contains an unsafe path: {member}")
        handle.extractall(into)
    candidates = [p.parent for p in into.rglob("*.onnx")]
    if not candidates:
        raise CommandError(f"{archive} holds no .onnx files")
    return min(candidates, key=lambda p: len(p.parts))


def _check(files: list[Path]) -> dict[str, str]:
    """Route each file through insightface's model zoo, as the engine will."""
    from insightface.model_zoo import get_model

    tasks: dict[str, str] = {}
    for path in files:
        try:
            model = get_model(str(path), providers=PROVIDERS)
        except Exception as exc:
            raise CommandError(f"{path.name} cannot be loaded by onnxruntime: {exc}") from exc
        tasks[path.name] = getattr(model, "taskname", None) or "unused"
    detectors = [n for n, t in tasks.items() if t == "detection"]
    recognizers = [n for n, t in tasks.items() if t == "recognition"]
    if not detectors:
        raise CommandError("the pack has no SCRFD detection model (9 or 15 outputs with landmarks)")
    if not recognizers:
        raise CommandError("the pack has no recognition model (square 112 px input)")
    return tasks
