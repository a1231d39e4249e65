"""Split the real questions into a calibration half and a held-out half, fixed before any error analysis.

    .venv/bin/python bench/chatbot/real_split.py [--seed 13] [--src ../shared/chatbot-real-dev] [--out var/chatbot-real]

Writes ``calib.jsonl`` and ``heldout.jsonl``. Stratified by intent: within each intent the items
are ordered by SHA-256 of ``"<seed>:<text>"`` and the first ceil(n/2) are held out (so every
intent present has at least one held-out item). The order depends only on the seed and the text,
not on file order, so the split is reproducible from the shared files alone.

The calibration half is what we may look at (errors, threshold, model choice). The held-out half
is only ever scored, never read item by item, and no real item is ever copied into training data.
The files are not committed: the real questions stay in the shared folder they came from.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SRC = ROOT.parent / "shared" / "chatbot-real-dev"
FILES = ("questions.jsonl", "questions-2.jsonl")


def load(src: Path) -> list[dict]:
    rows = []
    for name in FILES:
        with open(src / name, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def split(rows: list[dict], seed: int) -> tuple[list[dict], list[dict]]:
    """(calibration, held_out)."""
    by_intent: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_intent[row["intent"]].append(row)
    calib: list[dict] = []
    held: list[dict] = []
    for intent in sorted(by_intent):
        group = sorted(by_intent[intent], key=lambda r: hashlib.sha256(f"{seed}:{r['text']}".encode()).hexdigest())
        cut = math.ceil(len(group) / 2)
        held += group[:cut]
        calib += group[cut:]
    return calib, held


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "chatbot-real")
    args = parser.parse_args()
    calib, held = split(load(args.src), args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, rows in (("calib.jsonl", calib), ("heldout.jsonl", held)):
        with open(args.out / name, "w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps({"text": row["text"], "intent": row["intent"]}, ensure_ascii=False) + "\n")
        print(f"{args.out / name}: {len(rows)} items")


if __name__ == "__main__":
    main()
