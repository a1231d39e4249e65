"""Evaluate verification on labelled pairs with exactly the endpoint's pipeline.

    python manage.py facecheck_eval --pairs PAIRS.csv --images DIR

Each distinct image is decoded, detected, gated, aligned and embedded once; a face that cannot be
found or that fails a quality gate counts as a rejection of every pair it is in.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from facecheck.engine import evaluation
from facecheck.engine.config import EngineConfig
from facecheck.engine.loader import FaceModelConfigError, get_engine


class Command(BaseCommand):
    help = "TAR@FAR, EER and the FAR=0.001 threshold of the configured face pipeline on labelled pairs."
    requires_system_checks: list[str] = []  # an offline evaluation does not need URLs or the database

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--pairs", required=True, type=Path, help="CSV with columns left,right,same")
        parser.add_argument("--images", required=True, type=Path, help="directory the CSV paths are relative to")
        parser.add_argument("--limit", type=int, default=0, help="only the first N pairs (quick checks)")
        parser.add_argument("--scores-out", type=Path, help="also write left,right,same,score,primary,second")
        parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
        parser.add_argument(
            "--no-quality-gates",
            action="store_true",
            help="diagnostic only, NOT the endpoint pipeline: keep the largest face, skip the multi-face and "
            "quality gates (a face that is not detected still counts as a rejection)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pairs_path = Path(options["pairs"])
        images = Path(options["images"])
        if not pairs_path.is_file():
            raise CommandError(f"--pairs {pairs_path} does not exist")
        if not images.is_dir():
            raise CommandError(f"--images {images} is not a directory")
        try:
            pairs = evaluation.read_pairs(pairs_path)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["limit"]:
            pairs = pairs[: options["limit"]]
        if not pairs:
            raise CommandError(f"{pairs_path} has no pairs")
        try:
            config = EngineConfig.from_settings(quality_gates=not options["no_quality_gates"])
            engine = get_engine(config)
        except FaceModelConfigError as exc:
            raise CommandError(str(exc)) from exc

        progress = None if options["quiet"] else _Progress(sys.stderr)
        try:
            result = evaluation.evaluate_pairs(engine, pairs, images, progress=progress)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for line in result.report.lines():
            self.stdout.write(line)
        if result.failures and not options["quiet"]:
            counts: dict[str, int] = {}
            for code in result.failures.values():
                counts[code] = counts.get(code, 0) + 1
            summary = ", ".join(f"{code} {n}" for code, n in sorted(counts.items(), key=lambda kv: -kv[1]))
            sys.stderr.write(f"failed images by reason: {summary}\n")
        if options["scores_out"]:
            with Path(options["scores_out"]).open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(["left", "right", "same", "score", "primary", "second"])
                for pair, scored in zip(pairs, result.scores, strict=True):
                    writer.writerow([pair.left, pair.right, int(pair.same), *scored])


class _Progress:
    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def __call__(self, done: int, total: int, failed: int) -> None:
        if done == total or done % 50 == 0:
            end = "\n" if done == total else "\r"
            self.stream.write(f"embedded {done}/{total} images ({failed} failed){end}")
            self.stream.flush()
