"""Why genuine pairs are not certified by the served pipeline: gate refusals vs scores below accept.

    .venv/bin/python bench/face_verify/misses.py --pairs var/lfw_ext_pairs_B.csv --images ../shared/faces-dev/images

Runs exactly what ``manage.py facecheck_eval`` runs (``evaluation.evaluate_pairs`` on the configured
engine) and, for every genuine pair that would not be accepted at the configured ``accept``, counts the
reason: the refusal code of either photo (``face_multiple``, ``face_blurred``, ``face_not_found``, ...),
the replay rule (primary cosine >= ``replay``: review), or a decision score below ``accept``. Counts only:
nothing here is tuned.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", required=True, type=Path)
    parser.add_argument("--images", required=True, type=Path)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from facecheck.engine import evaluation
    from facecheck.engine.config import EngineConfig
    from facecheck.engine.loader import get_engine

    engine = get_engine(EngineConfig.from_settings())
    thresholds = engine.thresholds()
    pairs = evaluation.read_pairs(args.pairs)
    result = evaluation.evaluate_pairs(engine, pairs, args.images)
    print("\n".join(result.report.lines()))
    reasons: Counter[str] = Counter()
    genuine = accepted = 0
    for pair, (score, primary, _second) in zip(pairs, result.scores, strict=True):
        if not pair.same:
            continue
        genuine += 1
        codes = sorted({result.failures[n] for n in (pair.left, pair.right) if n in result.failures})
        if codes:
            reasons["refused: " + "+".join(codes)] += 1
        elif primary >= thresholds["replay"]:
            reasons["replay rule (review)"] += 1
        elif score < thresholds["accept"]:
            reasons["score below accept"] += 1
        else:
            accepted += 1
    print(f"genuine pairs {genuine}, accepted at {thresholds['accept']} {accepted}, not accepted {genuine - accepted}:")
    for reason, n in reasons.most_common():
        print(f"  {reason}: {n}")
    print("refused photos by code:", dict(Counter(result.failures.values()).most_common()))


if __name__ == "__main__":
    main()
