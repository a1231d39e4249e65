"""Intent classifier: character n-grams + fuzzy-pinyin n-grams, multinomial logistic regression.

Trained from the committed corpus (``chatbot/data/train.jsonl``) the first time a process needs
it, then kept in memory. Why not a committed model file: training takes about a second on one
core, the corpus stays the single source of truth (a model file can silently drift from it), and
we never unpickle anything at run time. Gunicorn workers pay the second once, at the first
message or at start-up through :func:`warm_up`.

The probabilities of logistic regression give each prediction a confidence; the conversation
layer asks a clarifying question below ``CHATBOT_CONFIDENCE_THRESHOLD``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chatbot.nlu.cues import cue_tokens
from chatbot.nlu.intents import INTENTS, Intent
from chatbot.nlu.normalize import PLACEHOLDERS, NormalizedText, normalize, pinyin_tokens
from chatbot.nlu.rules import NOTICE_CONFIDENCE, notice_intent, rule_intent

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_TRAIN_FILE = DATA_DIR / "train.jsonl"
# The hand-written corpus plus the real-question shapes composed by chatbot/data/compose.py.
DEFAULT_TRAIN_FILES = (DEFAULT_TRAIN_FILE, DATA_DIR / "train_shapes.jsonl")

# Each placeholder becomes one private-use character for the character n-grams, so "IDNUM" is
# one symbol next to its neighbours rather than five Latin letters.
_SPLIT_ON_SPACE = r"\S+"  # views below are already tokenised
_PLACEHOLDER_CHARS = {token: chr(0xE000 + i) for i, token in enumerate(sorted(PLACEHOLDERS))}


@dataclass(frozen=True)
class ModelConfig:
    """Chosen by 5-fold cross-validation on the training corpus only (see docs/chatbot.md)."""

    char_ngrams: tuple[int, int] = (1, 3)
    pinyin_ngrams: tuple[int, int] = (1, 3)
    pinyin_weight: float = 0.6
    cue_weight: float = 0.3
    # The sentence that carries the need (NormalizedText.focus): its characters and cues again.
    focus_weight: float = 0.6
    # The last clause (NormalizedText.tail): its characters in a namespace of their own. The weight
    # was chosen on the shape-transfer check, which uses no real question (docs/chatbot.md, round 3).
    clause_weight: float = 1.0
    c: float = 20.0
    class_weight: str | None = "balanced"
    # "lr": logistic regression; "svm": linear SVM with sigmoid-calibrated probabilities;
    # "lr+cnb": the mean of logistic regression's and complement naive Bayes's probabilities.
    estimator: str = "lr"


@dataclass(frozen=True)
class Prediction:
    intent: str
    confidence: float
    source: str  # "rule", "model" or "empty"
    ranking: tuple[tuple[str, float], ...]  # best first, at most three
    text: NormalizedText


def load_examples(path: str | Path) -> list[tuple[str, str]]:
    """(text, intent) pairs from a JSON-lines file; blank lines skipped, other fields ignored."""
    examples = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if not isinstance(row, dict) or "text" not in row or "intent" not in row:
                raise ValueError(f"{path}:{number}: each line needs 'text' and 'intent'")
            examples.append((str(row["text"]), str(row["intent"])))
    return examples


def _char_view(model_text: str) -> str:
    return " ".join(_PLACEHOLDER_CHARS.get(word, word) for word in model_text.split(" "))


def _pinyin_view(model_text: str) -> str:
    return " ".join(pinyin_tokens(model_text))


def _cue_view(model_text: str) -> str:
    return " ".join(cue_tokens(model_text))


def _views(text: NormalizedText, config: ModelConfig) -> tuple[str, ...]:
    """Characters, pinyin, cues of the whole message; characters and cues of its focus sentence;
    characters of its last clause (when its weight is not 0)."""
    focus = text.focus or text.model_text
    return (
        _char_view(text.model_text),
        _pinyin_view(text.model_text),
        _cue_view(text.model_text),
        _char_view(focus),
        _cue_view(focus),
        _char_view(text.tail or text.model_text) if config.clause_weight else "",
    )


class _MeanOfProbabilities:
    """Two fitted-together estimators whose class probabilities are averaged."""

    def __init__(self, *estimators) -> None:  # type: ignore[no-untyped-def]
        self.estimators = estimators

    def fit(self, features, labels) -> _MeanOfProbabilities:  # type: ignore[no-untyped-def]
        for estimator in self.estimators:
            estimator.fit(features, labels)
        self.classes_ = self.estimators[0].classes_
        return self

    def predict_proba(self, features) -> np.ndarray:  # type: ignore[no-untyped-def]
        return np.mean([estimator.predict_proba(features) for estimator in self.estimators], axis=0)


def _estimator(config: ModelConfig):  # type: ignore[no-untyped-def]
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=config.c, max_iter=3000, class_weight=config.class_weight)
    if config.estimator == "lr":
        return lr
    if config.estimator == "svm":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=config.c / 20, class_weight=config.class_weight)
        return CalibratedClassifierCV(svm, cv=3, method="sigmoid")
    if config.estimator == "lr+cnb":
        from sklearn.naive_bayes import ComplementNB

        return _MeanOfProbabilities(lr, ComplementNB(alpha=0.3))
    raise ValueError(f"unknown estimator {config.estimator!r}")


class IntentClassifier:
    def __init__(self, examples: Sequence[tuple[str, str]], config: ModelConfig | None = None) -> None:
        self.config = config or ModelConfig()
        unknown = {intent for _, intent in examples} - set(INTENTS)
        if unknown:
            raise ValueError(f"unknown intents in training data: {sorted(unknown)}")
        # scikit-learn and scipy are imported here, not at the top: every process imports this module
        # when Django starts (the chatbot registers its SMS handler), and they cost ~1 s of start-up
        # to management commands and workers that never classify a message.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from threadpoolctl import threadpool_limits

        normalized = [normalize(text) for text, _ in examples]
        labels = [intent for _, intent in examples]
        self._char = TfidfVectorizer(
            analyzer="char", ngram_range=self.config.char_ngrams, sublinear_tf=True, lowercase=False, dtype=np.float32
        )
        self._pinyin = TfidfVectorizer(
            analyzer="word",
            token_pattern=_SPLIT_ON_SPACE,
            ngram_range=self.config.pinyin_ngrams,
            sublinear_tf=True,
            lowercase=False,
            dtype=np.float32,
        )
        self._cues = TfidfVectorizer(
            analyzer="word", token_pattern=_SPLIT_ON_SPACE, lowercase=False, use_idf=False, norm="l2", dtype=np.float32
        )
        self._focus = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False, dtype=np.float32
        )
        self._focus_cues = TfidfVectorizer(
            analyzer="word", token_pattern=_SPLIT_ON_SPACE, lowercase=False, use_idf=False, norm="l2", dtype=np.float32
        )
        self._clause = TfidfVectorizer(
            analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False, dtype=np.float32
        )
        views = [_views(text, self.config) for text in normalized]
        features = self._stack(views, fit=True)
        self._model = _estimator(self.config)
        # One BLAS thread: on a busy 2-core box, BLAS threads fighting each other make lbfgs ~8x slower.
        with threadpool_limits(limits=1):
            self._model.fit(features, labels)
        self.classes: tuple[str, ...] = tuple(str(c) for c in self._model.classes_)
        # scikit-learn multiplies by ``coef_.T``, a Fortran-ordered view that scipy copies (ravel) on
        # every call: ~2 ms for this vocabulary, most of a prediction. A row-major copy made once
        # gives the same softmax without it.
        self._coef_rows: np.ndarray | None = None
        if isinstance(self._model, LogisticRegression) and len(self.classes) > 2:
            self._coef_rows = np.ascontiguousarray(self._model.coef_.T, dtype=np.float64)
            self._intercept = np.asarray(self._model.intercept_, dtype=np.float64)

    def _stack(self, views: list[tuple[str, ...]], fit: bool = False):  # type: ignore[no-untyped-def]
        config = self.config
        parts = [
            (self._char, 1.0),
            (self._pinyin, config.pinyin_weight),
            (self._cues, config.cue_weight),
            (self._focus, config.focus_weight),
            (self._focus_cues, config.focus_weight * config.cue_weight),
            (self._clause, config.clause_weight),
        ]
        blocks = []
        for column, (vectorizer, weight) in enumerate(parts):
            if not weight:
                continue
            texts = [v[column] for v in views]
            matrix = vectorizer.fit_transform(texts) if fit else vectorizer.transform(texts)
            blocks.append(matrix * weight if weight != 1.0 else matrix)
        from scipy import sparse

        return sparse.hstack(blocks).tocsr()

    def _features(self, texts: Iterable[NormalizedText]):  # type: ignore[no-untyped-def]
        return self._stack([_views(text, self.config) for text in texts])

    def probabilities(self, text: str | NormalizedText) -> np.ndarray:
        """Class probabilities (in ``self.classes`` order) for a normalised text or a model text."""
        if isinstance(text, str):
            text = NormalizedText(clean=text, model_text=text, id_numbers=(), dates=(), has_url=False, truncated=False)
        return self._predict_proba(self._features([text]))[0]

    def _predict_proba(self, features) -> np.ndarray:  # type: ignore[no-untyped-def]
        if self._coef_rows is None:
            return self._model.predict_proba(features)
        scores = features @ self._coef_rows + self._intercept
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        return scores

    def predict(self, raw: object) -> Prediction:
        return self.predict_many([raw])[0]

    def predict_many(self, raws: Sequence[object]) -> list[Prediction]:
        """Predictions for several texts, the model's in one batch (the clauses of one message)."""
        results: list[Prediction | None] = []
        for_model: list[tuple[int, NormalizedText]] = []
        for raw in raws:
            text = normalize(raw)
            results.append(self._rule_prediction(text))
            if results[-1] is None:
                for_model.append((len(results) - 1, text))
        if for_model:
            probabilities = self._predict_proba(self._features([text for _, text in for_model]))
            for (index, text), probs in zip(for_model, probabilities, strict=True):
                order = np.argsort(probs)[::-1][:3]
                ranking = tuple((self.classes[i], round(float(probs[i]), 4)) for i in order)
                results[index] = Prediction(ranking[0][0], ranking[0][1], "model", ranking, text)
        return [result for result in results if result is not None]

    @staticmethod
    def _rule_prediction(text: NormalizedText) -> Prediction | None:
        if text.is_empty:
            return Prediction(Intent.OTHER.value, 0.0, "empty", ((Intent.OTHER.value, 0.0),), text)
        ruled = rule_intent(text.model_text)
        if ruled is not None:
            return Prediction(ruled.value, 1.0, "rule", ((ruled.value, 1.0),), text)
        pasted = notice_intent(text)
        if pasted is not None:
            return Prediction(pasted.value, NOTICE_CONFIDENCE, "rule", ((pasted.value, NOTICE_CONFIDENCE),), text)
        return None


_lock = threading.Lock()
_instances: dict[str, IntentClassifier] = {}


def default_examples() -> list[tuple[str, str]]:
    """The shipped training data: every file of ``DEFAULT_TRAIN_FILES``."""
    return [example for path in DEFAULT_TRAIN_FILES for example in load_examples(path)]


def get_classifier(train_file: str | Path | None = None) -> IntentClassifier:
    """The process-wide classifier for ``train_file`` (default: the shipped corpus; trained once, thread-safe)."""
    key = str(Path(train_file).resolve()) if train_file else "default"
    instance = _instances.get(key)
    if instance is not None:
        return instance
    with _lock:
        instance = _instances.get(key)
        if instance is None:
            instance = IntentClassifier(load_examples(key) if train_file else default_examples())
            _instances[key] = instance
    return instance


def warm_up() -> None:
    """Train now rather than on the first message (called from a management command or WSGI start)."""
    get_classifier()
