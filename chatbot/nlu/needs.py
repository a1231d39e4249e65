"""Two needs in one message: the main one to answer, and a second one to offer as a button.

"我爸认证过期了，钱也停了，我能帮他弄吗" asks how to help (proxy) and says the money stopped
(suspended). The main need is what the whole message is classified as (the classifier already
weighs the question sentence). The second comes from the clauses: each clause of four or more
characters is classified on its own, and a confident clause whose intent is a different service
intent is the second need; failing that, a close runner-up of the whole message is. Small talk
(greeting, thanks, cancel) and `other` are never a second need: a button for them helps nobody.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chatbot.nlu.classifier import IntentClassifier, Prediction, get_classifier
from chatbot.nlu.intents import Intent
from chatbot.nlu.normalize import normalize

SECOND_NEED_INTENTS = frozenset(
    {
        Intent.CHECK_STATUS,
        Intent.NEXT_DUE,
        Intent.HOW_TO_CERTIFY,
        Intent.FACE_FAILED,
        Intent.PROXY_CERTIFY,
        Intent.REPORT_DEATH,
        Intent.SUSPENDED,
        Intent.SILENT_CERT,
        Intent.REMOTE_ABROAD,
        Intent.HUMAN,
    }
)
# A clause must be this sure of its own intent, and a runner-up of the whole message this likely.
CLAUSE_CONFIDENCE = 0.6
RUNNER_UP_PROBABILITY = 0.25
MAX_CLAUSES = 8  # bounds the cost: the clauses are predicted in one batch
_CLAUSE_RE = re.compile(r"[，,。！？!?；;、\s]+|(?:而且|并且|还有|另外|顺便问一下|顺便问|再问一下|同时)")
_MIN_CLAUSE_CHARS = 4


@dataclass(frozen=True)
class Needs:
    main: Prediction
    second: str | None  # an intent name, or None for a single need
    second_confidence: float

    @property
    def intent(self) -> str:
        return self.main.intent


def detect_needs(raw: object, classifier: IntentClassifier | None = None) -> Needs:
    """The main need (as ``IntentClassifier.predict`` gives it) and at most one second need."""
    classifier = classifier or get_classifier()
    main = classifier.predict(raw)
    if main.source != "model" and main.intent not in SECOND_NEED_INTENTS:
        return Needs(main, None, 0.0)
    clauses = [
        c
        for c in _CLAUSE_RE.split(main.text.clean)
        if len(normalize(c).model_text.replace(" ", "")) >= _MIN_CLAUSE_CHARS
    ]
    best: tuple[str, float] | None = None
    if len(clauses) > 1:
        for guess in classifier.predict_many(clauses[-MAX_CLAUSES:]):
            if (
                guess.source == "model"
                and guess.intent != main.intent
                and guess.intent in SECOND_NEED_INTENTS
                and guess.confidence >= CLAUSE_CONFIDENCE
                and (best is None or guess.confidence > best[1])
            ):
                best = (guess.intent, guess.confidence)
    if best is None:
        for intent, probability in main.ranking[1:2]:
            if intent in SECOND_NEED_INTENTS and probability >= RUNNER_UP_PROBABILITY:
                best = (intent, probability)
    if best is None:
        return Needs(main, None, 0.0)
    return Needs(main, best[0], round(best[1], 4))
