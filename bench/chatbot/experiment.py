"""Compare classifier configurations on labelled files (never on the held-out half while choosing).

    .venv/bin/python bench/chatbot/experiment.py var/chatbot-real/calib.jsonl chatbot/data/dev.jsonl \
        [--set focus_weight=0,0.6 --set c=10,20] [--cv 5]

Trains one classifier per combination on the shipped corpus (or ``--cv`` folds of it, scored on
the left-out fold) and prints accuracy, macro and lowest per-intent recall for each file.

``--train chatbot/data/train.jsonl`` with ``chatbot/data/train_shapes.jsonl`` as the file to score is
a *shape-transfer* check that uses no real question: learn from the short hand-written lines, be
scored on the long composed shapes (stories, headlines, search fragments).
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def score(classifier, items: list[tuple[str, str]]) -> tuple[float, dict[str, float], list[str]]:  # type: ignore[no-untyped-def]
    predicted = [classifier.predict(text).intent for text, _ in items]
    gold = [intent for _, intent in items]
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(items)
    support = Counter(gold)
    recall = {i: sum(g == p == i for g, p in zip(gold, predicted, strict=True)) / n for i, n in support.items()}
    return accuracy, recall, predicted


def parse_value(raw: str) -> object:
    if raw == "None":
        return None
    try:
        return float(raw) if "." in raw else int(raw)
    except ValueError:
        return raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("files", nargs="*")
    parser.add_argument("--set", action="append", default=[], help="name=v1,v2 (ModelConfig field)")
    parser.add_argument("--cv", type=int, default=0, help="k-fold cross-validation on the corpus instead")
    parser.add_argument("--train", action="append", default=[], help="train on these files instead of the corpus")
    args = parser.parse_args()

    from chatbot.nlu.classifier import IntentClassifier, ModelConfig, default_examples, load_examples

    grid = {}
    for spec in args.set:
        name, _, values = spec.partition("=")
        grid[name] = [parse_value(v) for v in values.split(",")]
    corpus = [e for path in args.train for e in load_examples(path)] if args.train else default_examples()
    files = {f: load_examples(f) for f in args.files}
    for combo in itertools.product(*grid.values()) if grid else [()]:
        config = replace(ModelConfig(), **dict(zip(grid, combo, strict=True)))
        label = " ".join(f"{k}={v}" for k, v in zip(grid, combo, strict=True)) or "default"
        if args.cv:
            rows = corpus[:]
            random.Random(0).shuffle(rows)
            correct = 0.0
            for k in range(args.cv):
                test = rows[k :: args.cv]
                train = [r for i, r in enumerate(rows) if i % args.cv != k]
                correct += score(IntentClassifier(train, config), test)[0] * len(test)
            print(f"{label}: cv accuracy {correct / len(rows):.4f}")
            continue
        classifier = IntentClassifier(corpus, config)
        parts = []
        for name, items in files.items():
            accuracy, recall, _ = score(classifier, items)
            worst = min(recall.items(), key=lambda kv: kv[1])
            macro = sum(recall.values()) / len(recall)
            parts.append(
                f"{Path(name).stem}: acc {accuracy:.3f} macro-recall {macro:.3f} min-recall {worst[1]:.2f} ({worst[0]})"
            )
        print(f"{label}: " + " | ".join(parts), flush=True)


if __name__ == "__main__":
    main()
