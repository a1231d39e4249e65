"""What configured thresholds do on scored pairs: FAR, TAR and review share, plus a 2-fold check by identity.

    .venv/bin/python manage.py facecheck_eval --pairs P.csv --images DIR --scores-out scores.csv
    .venv/bin/python bench/face_verify/thresholds.py scores.csv [--accept 0.44 --reject 0.36]

Without --accept/--reject the thresholds of the configured model(s) are used. The 2-fold check
splits the *people* in two halves (by a hash of the identity folder), picks the FAR=0.1 % threshold
on one half's impostor pairs and measures it on the other half's, so the figure is for people the
threshold never saw. Identities are the first path component of each image (``person/photo.jpg``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def _configured() -> tuple[float, float]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from facecheck.engine.loader import get_engine

    thresholds = get_engine().thresholds()
    return thresholds["accept"], thresholds["reject"]


def main() -> None:
    from facecheck.engine.evaluation import threshold_at_far

    parser = argparse.ArgumentParser()
    parser.add_argument("scores", type=Path, help="CSV written by facecheck_eval --scores-out")
    parser.add_argument("--accept", type=float)
    parser.add_argument("--reject", type=float)
    args = parser.parse_args()
    if args.accept is None or args.reject is None:
        accept, reject = _configured()
        args.accept = accept if args.accept is None else args.accept
        args.reject = reject if args.reject is None else args.reject

    rows = list(csv.DictReader(args.scores.open()))
    score = np.array([float(r["score"]) for r in rows])
    same = np.array([r["same"] == "1" for r in rows])
    genuine, impostor = score[same], score[~same]
    print(f"{args.scores.name}: {same.sum()} genuine, {(~same).sum()} impostor pairs")
    print(
        f"accept >= {args.accept}: FAR {(impostor >= args.accept).mean():.4%} "
        f"({(impostor >= args.accept).sum()} impostors), TAR {(genuine >= args.accept).mean():.2%}"
    )
    review_g = ((genuine >= args.reject) & (genuine < args.accept)).mean()
    review_i = ((impostor >= args.reject) & (impostor < args.accept)).mean()
    print(
        f"review band [{args.reject}, {args.accept}): {review_g:.2%} of genuine, {review_i:.2%} of impostors; "
        f"rejected outright: {(genuine < args.reject).mean():.2%} of genuine"
    )

    def half(path: str) -> int:
        return hashlib.sha256(path.split("/")[0].encode()).digest()[0] % 2

    left = np.array([half(r["left"]) for r in rows])
    right = np.array([half(r["right"]) for r in rows])
    for fit in (0, 1):
        test = 1 - fit
        fit_imp = score[~same & (left == fit) & (right == fit)]
        test_mask = (left == test) & (right == test)
        test_imp, test_gen = score[~same & test_mask], score[same & test_mask]
        threshold = threshold_at_far(fit_imp, 0.001)
        print(
            f"2-fold by identity, fit on half {fit} ({fit_imp.size} impostors): threshold {threshold:.4f} -> "
            f"on unseen half {test}: FAR {(test_imp >= threshold).mean():.4%} of {test_imp.size}, "
            f"TAR {(test_gen >= threshold).mean():.2%} of {test_gen.size}"
        )


if __name__ == "__main__":
    main()
