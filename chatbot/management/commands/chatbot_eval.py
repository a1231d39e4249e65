"""Evaluate the intent classifier on a JSON-lines file: ``manage.py chatbot_eval FILE.jsonl``.

Each line is a JSON object with at least ``text`` and ``intent``; other fields are ignored.
Prints ``items: N``, ``accuracy: x``, a per-intent precision/recall table and the most frequent
confusions. Evaluation measures understanding only (rules + classifier), with no conversation
state, which is how a single question from a pensioner arrives.

``--answers`` also prints each question with the reply a new app user would get, through the
service's public entry point (``chatbot.services.chatbot_message_handle``), so a person can read
the answers. Each question comes from a fresh throwaway user in a fresh conversation, inside one
transaction that is rolled back: nothing is left in the database.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from chatbot.nlu.classifier import DEFAULT_TRAIN_FILES, get_classifier
from chatbot.nlu.intents import INTENTS


def read_labelled(path: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Items and human-readable warnings for lines that had to be skipped."""
    items: list[tuple[str, str]] = []
    warnings: list[str] = []
    try:
        handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row: Any = json.loads(line)
            except json.JSONDecodeError:
                warnings.append(f"line {number}: not JSON, skipped")
                continue
            if not isinstance(row, dict) or not isinstance(row.get("text"), str) or not row.get("intent"):
                warnings.append(f"line {number}: needs 'text' and 'intent', skipped")
                continue
            intent = str(row["intent"]).strip()
            if intent not in INTENTS:
                warnings.append(f"line {number}: unknown intent {intent!r} (kept; it can never be predicted)")
            items.append((row["text"], intent))
    return items, warnings


class Command(BaseCommand):
    help = "Accuracy, per-intent precision/recall and confusions of the chatbot's intent classifier."

    def add_arguments(self, parser) -> None:  # type: ignore[no-untyped-def]
        parser.add_argument("file", help="JSON lines with 'text' and 'intent'")
        default_train = ", ".join(p.name for p in DEFAULT_TRAIN_FILES)
        parser.add_argument("--train", default=None, help=f"training corpus (default {default_train})")
        parser.add_argument("--errors", action="store_true", help="list every misclassified item")
        parser.add_argument(
            "--answers", action="store_true", help="print each question and the reply text (database rolled back)"
        )
        parser.add_argument("--top", type=int, default=10, help="how many confusions to show")

    def handle(self, *args, **options) -> None:  # type: ignore[no-untyped-def]
        items, warnings = read_labelled(options["file"])
        for warning in warnings:
            self.stderr.write(warning)
        if not items:
            raise CommandError("no usable items in the file")
        started = time.perf_counter()
        classifier = get_classifier(options["train"])
        train_seconds = time.perf_counter() - started
        threshold = settings.CHATBOT_CONFIDENCE_THRESHOLD

        gold: list[str] = []
        predicted: list[str] = []
        low_confidence = 0
        low_confidence_wrong = 0
        errors: list[tuple[str, str, str, float]] = []
        started = time.perf_counter()
        for text, intent in items:
            prediction = classifier.predict(text)
            gold.append(intent)
            predicted.append(prediction.intent)
            if prediction.confidence < threshold:
                low_confidence += 1
                low_confidence_wrong += prediction.intent != intent
            if prediction.intent != intent:
                errors.append((prediction.text.clean, intent, prediction.intent, prediction.confidence))
        predict_ms = (time.perf_counter() - started) * 1000 / len(items)

        n = len(items)
        correct = sum(g == p for g, p in zip(gold, predicted, strict=True))
        out = self.stdout.write
        out(f"items: {n}")
        out(f"accuracy: {correct / n:.4f}")
        confident = n - low_confidence
        confident_correct = correct - (low_confidence - low_confidence_wrong)
        out(
            f"below confidence threshold {threshold:.2f} (bot asks back): {low_confidence} ({low_confidence / n:.1%}), "
            f"of which wrong: {low_confidence_wrong}; accuracy above it: "
            f"{(confident_correct / confident) if confident else 0.0:.4f}"
        )
        out(f"training: {train_seconds:.2f} s (0 if already trained); prediction: {predict_ms:.2f} ms per item")
        out("")
        out(f"{'intent':<16}{'precision':>10}{'recall':>8}{'f1':>7}{'support':>9}")
        labels = [i for i in INTENTS if i in set(gold) | set(predicted)]
        labels += sorted((set(gold) | set(predicted)) - set(labels))
        for label in labels:
            tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
            n_pred = predicted.count(label)
            n_gold = gold.count(label)
            precision = tp / n_pred if n_pred else 0.0
            recall = tp / n_gold if n_gold else 0.0
            f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            out(f"{label:<16}{precision:>10.3f}{recall:>8.3f}{f1:>7.3f}{n_gold:>9}")
        out("")
        confusions = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
        out("most frequent confusions (expected -> predicted: count):")
        if not confusions:
            out("  none")
        for (g, p), count in confusions.most_common(options["top"]):
            out(f"  {g} -> {p}: {count}")
        if options["errors"]:
            out("")
            out("errors (expected -> predicted, confidence, text):")
            for text, g, p, confidence in errors:
                out(f"  {g} -> {p} ({confidence:.2f}) {text[:80]}")
        if options["answers"]:
            out("")
            out("answers (what a new app user is told):")
            for number, (question, reply) in enumerate(replies_to([text for text, _ in items]), start=1):
                out(f"[{number}] Q: {question}")
                out(f"    A: {reply}")


class _Rollback(Exception):
    pass


def replies_to(texts: list[str]) -> list[tuple[str, str]]:
    """Each text as the first message of a new app user; replies as the app shows them (text + buttons)."""
    from django.db import transaction

    from accounts.models import User
    from chatbot.services import chatbot_message_handle

    replies: list[tuple[str, str]] = []
    try:
        with transaction.atomic():
            for number, text in enumerate(texts, start=1):
                user = User.objects.create(username=f"chatbot-eval-{number}")
                message, _created = chatbot_message_handle(user=user, text=text)
                buttons = " | ".join(str(b.get("label", "")) for b in message.buttons or [])
                replies.append((text, message.text + (f"  [{buttons}]" if buttons else "")))
            raise _Rollback
    except _Rollback:
        pass
    return replies
