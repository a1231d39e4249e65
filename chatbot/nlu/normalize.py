"""Text normalisation for the chatbot: what old people, their children and speech-to-text send.

One pass turns raw input into two views:

* ``clean`` — Simplified, half-width, without HTML/emoji/control characters, ID and bank-card
  numbers masked. It is what we store, log and read slots (dates) from.
* ``model_text`` — ``clean`` lower-cased, dialect words and frequent typos mapped to standard
  words, numbers replaced by placeholder tokens (``IDNUM``, ``DATE``…), punctuation removed and
  length-capped. It is what the classifier sees, so that "360426199101010071" and
  "110101194910010010" look the same to it.

Pure Python, no Django settings needed; everything here runs in well under a millisecond for
ordinary messages.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

# Anything longer is cut before any work is done: nobody types more, and it bounds the cost.
MAX_INPUT_CHARS = 2000
# What the classifier reads. A title plus a paragraph fits. A longer story keeps its beginning
# (the title) and its end (where people put the actual question).
MAX_MODEL_CHARS = 400
_MODEL_HEAD_CHARS = 240

# Placeholder tokens (upper-case ASCII: model text is lower-cased first, so user text never collides).
ID_MARK = "IDNUM"
CARD_MARK = "CARDNUM"
PHONE_MARK = "PHONENUM"
DATE_MARK = "DATE"
URL_MARK = "URL"
NUM_MARK = "NUM"
MONEY_MARK = "MONEY"
PLACEHOLDERS = frozenset({ID_MARK, CARD_MARK, PHONE_MARK, DATE_MARK, URL_MARK, NUM_MARK, MONEY_MARK})

_SCRIPT_RE = re.compile(r"<(script|style)\b.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG_RE = re.compile(r"</?[a-zA-Z!][^<>]{0,300}>")
_URL_RE = re.compile(
    r"(?:https?://|www\.)[^\s\u4e00-\u9fff]+"
    # Bounded labels and a left boundary: a 2,000-letter run must not cost quadratic backtracking.
    r"|(?<![a-z0-9-])[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,4}\.(?:cn|com|net|top|xyz|cc)\b[^\s\u4e00-\u9fff]*",
    re.IGNORECASE,
)
# ID numbers as typed or dictated: 18 characters (last may be X) or legacy 15 digits, optionally
# broken into groups by spaces or dashes. Format-based on purpose: a mistyped number (bad check
# digit) is still someone's number and must be masked too.
_ID18_RE = re.compile(r"(?<![0-9])[1-9](?:[ -]?[0-9]){16}[ -]?[0-9Xx](?![0-9A-Za-z])")
_ID15_RE = re.compile(r"(?<![0-9])[1-9][0-9]{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}(?![0-9])")
_CARD_RE = re.compile(r"(?<![0-9])[0-9]{4}(?:[ -]?[0-9]){12,15}(?![0-9])")
_PHONE_RE = re.compile(r"(?:\+?86[ -]?)?(?<![0-9])1[3-9][0-9](?:[ -]?[0-9]){8}(?![0-9])")
_CN_NUM = "〇零一二三四五六七八九十两廿"
_DATE_RE = re.compile(
    r"(?:[0-9]{4}|[0-9]{2})\s*[年./-]\s*[0-9]{1,2}\s*[月./-]\s*[0-9]{1,2}\s*[日号]?"
    r"|[0-9]{4}\s*年\s*[0-9]{1,2}\s*月"
    r"|[0-9]{1,2}\s*月(?:份)?\s*[0-9]{1,2}\s*[日号]"
    rf"|[{_CN_NUM}]{{1,4}}年[{_CN_NUM}]{{1,3}}月(?:[{_CN_NUM}]{{1,3}}[日号])?"
    rf"|[{_CN_NUM}]{{1,3}}月(?:份)?[{_CN_NUM}]{{1,3}}[日号]"
    r"|[0-9]{4}\s*年"
    r"|[0-9]{1,2}\s*[日号](?![码])"
)
_MONEY_RE = re.compile(r"(?<![0-9.])[0-9]{1,12}(?:\.[0-9]{1,2})?\s*(?:元|块钱|块|rmb)")
_NUM_RE = re.compile(r"[0-9]{3,}")
_KEEP_NUMBERS = frozenset({"12333"})  # the national hotline is a word, not a number
_PUNCT_SPACE_RE = re.compile(r"[^\w\s]|_")
_SPACE_RE = re.compile(r"\s+")

# Dialect words (Northeastern, Sichuan, Shanghai, Cantonese) and frequent typos or speech-to-text
# homophones, mapped to the standard word. Only unambiguous entries: anything doubtful is left to
# the pinyin features, which already treat homophones alike.
_CANONICAL = {
    # dialect → Mandarin
    "俺": "我",
    "咱": "我",
    "阿拉": "我们",
    "侬": "你",
    "咋整": "怎么办",
    "咋办": "怎么办",
    "咋个": "怎么",
    "咋": "怎么",
    "啥子": "什么",
    "啥": "什么",
    "么子": "什么",
    "乜嘢": "什么",
    "点样": "怎么",
    "点算": "怎么办",
    "佢": "他",
    "咗": "了",
    "嘅": "的",
    "唔该": "谢谢",
    "多谢": "谢谢",
    "唔": "不",
    "冇得": "没有",
    "冇": "没有",
    "木有": "没有",
    "莫得": "没有",
    "没得": "没有",
    "晓得": "知道",
    "老汉": "父亲",
    # typos and speech-to-text homophones seen in practice
    "认正": "认证",
    "仁证": "认证",
    "任证": "认证",
    "刷连": "刷脸",
    "人连": "人脸",
    "养老今": "养老金",
    "养老斤": "养老金",
    "退休今": "退休金",
    "社宝": "社保",
    "失拜": "失败",
    "到帐": "到账",
    "帐户": "账户",
    "帐号": "账号",
    "老汉儿": "父亲",
}
_CANONICAL_RE = re.compile("|".join(sorted(map(re.escape, _CANONICAL), key=len, reverse=True)))

_DROP_CATEGORIES = frozenset({"So", "Sk", "Cf", "Cs", "Co", "Cn", "Mn", "Me"})


@dataclass(frozen=True)
class NormalizedText:
    """Both views of one message plus what was found in it (never stored unmasked)."""

    clean: str
    model_text: str
    id_numbers: tuple[str, ...]
    dates: tuple[str, ...]
    has_url: bool
    truncated: bool
    # The sentence that carries the need: the last question-like sentence (stories put the need
    # last), else the last sentence; the whole ``model_text`` for a one-sentence message.
    focus: str = ""
    # The last clause (split at any punctuation): in "long story, …, 我想帮他弄，可以吗" the need
    # sits in the last clause or two; the whole ``model_text`` when there is only one clause.
    tail: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.model_text.strip()


@cache
def _t2s_tables() -> tuple[re.Pattern[str] | None, dict[int, str], frozenset[str]]:
    """OpenCC's Traditional→Simplified dictionaries, compiled for speed.

    OpenCC's pure-Python converter costs ~10 ms per 1,000 characters; the same dictionaries as a
    phrase regex (longest first) plus ``str.translate`` give the same output in a fraction of that.
    """
    import opencc

    folder = Path(opencc.__file__).parent / "dictionary"
    chars: dict[int, str] = {}
    for line in (folder / "TSCharacters.txt").read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        target = values.split(" ")[0]
        if len(key) == 1 and target and target != key:
            chars[ord(key)] = target
    phrases: dict[str, str] = {}
    for line in (folder / "TSPhrases.txt").read_text(encoding="utf-8").splitlines():
        key, _, values = line.partition("\t")
        target = values.split(" ")[0]
        if key and target:
            phrases[key] = target
    pattern = re.compile("|".join(sorted(map(re.escape, phrases), key=len, reverse=True))) if phrases else None
    _T2S_PHRASES.update(phrases)
    return pattern, chars, frozenset(chr(c) for c in chars)


_T2S_PHRASES: dict[str, str] = {}


def to_simplified(text: str) -> str:
    """Traditional → Simplified; a no-op (one set test) for text that is already Simplified."""
    pattern, chars, trad = _t2s_tables()
    if not trad.intersection(text):
        return text
    if pattern is None:
        return text.translate(chars)
    # Phrase matches are final (乾隆 stays 乾隆); only the text between them is converted by character.
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(text[last : match.start()].translate(chars))
        out.append(_T2S_PHRASES[match.group(0)])
        last = match.end()
    out.append(text[last:].translate(chars))
    return "".join(out)


def _strip_noise(text: str) -> str:
    """HTML, entities, emoji, zero-width and control characters; full-width → half-width (NFKC)."""
    text = html.unescape(text)
    text = _SCRIPT_RE.sub(" ", text)
    text = _TAG_RE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text)
    out = []
    for ch in text:
        if ch in "\n\r\t":
            out.append(" ")
            continue
        cat = unicodedata.category(ch)
        if cat in _DROP_CATEGORIES or cat == "Cc":
            out.append(" ")
        else:
            out.append(ch)
    return _SPACE_RE.sub(" ", "".join(out)).strip()


def mask_id_like(number: str) -> str:
    """Keep the first three and last four characters, as the app shows ID numbers to non-staff."""
    digits = re.sub(r"[ -]", "", number)
    if len(digits) < 10:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_sensitive(text: str) -> str:
    """Mask ID and bank-card numbers in any text before it is stored or logged."""
    text = _ID18_RE.sub(lambda m: mask_id_like(m.group(0)), text)
    text = _ID15_RE.sub(lambda m: mask_id_like(m.group(0)), text)
    return _CARD_RE.sub(lambda m: mask_id_like(m.group(0)), text)


def canonicalize(text: str) -> str:
    return _CANONICAL_RE.sub(lambda m: _CANONICAL[m.group(0)], text)


def _placeholders(text: str) -> str:
    text = _URL_RE.sub(f" {URL_MARK} ", text)
    text = _ID18_RE.sub(f" {ID_MARK} ", text)
    text = _ID15_RE.sub(f" {ID_MARK} ", text)
    text = _CARD_RE.sub(f" {CARD_MARK} ", text)
    text = _PHONE_RE.sub(f" {PHONE_MARK} ", text)
    text = _DATE_RE.sub(f" {DATE_MARK} ", text)
    text = _MONEY_RE.sub(f" {MONEY_MARK} ", text)
    return _NUM_RE.sub(lambda m: m.group(0) if m.group(0) in _KEEP_NUMBERS else f" {NUM_MARK} ", text)


def normalize(raw: object) -> NormalizedText:
    """Both views of ``raw``; never raises, whatever it is given."""
    text = raw if isinstance(raw, str) else ""
    truncated = len(text) > MAX_INPUT_CHARS
    text = text[:MAX_INPUT_CHARS]
    text = _strip_noise(text)
    text = to_simplified(text)
    id_numbers = tuple(
        re.sub(r"[ -]", "", m.group(0)).upper() for m in (*_ID18_RE.finditer(text), *_ID15_RE.finditer(text))
    )
    has_url = bool(_URL_RE.search(text))
    clean = mask_sensitive(text)
    dates = tuple(m.group(0) for m in _DATE_RE.finditer(clean))

    # Placeholders are found in the unmasked text (a masked number no longer looks like one).
    model = canonicalize(text.lower())
    model = _placeholders(model)
    focus = _model_words(_focus_sentence(model))
    last_clause = _model_words(_tail_clause(model))
    model = _model_words(model)
    if len(model) > MAX_MODEL_CHARS:
        tail = MAX_MODEL_CHARS - _MODEL_HEAD_CHARS - 1  # one space joins them
        model = f"{model[:_MODEL_HEAD_CHARS].rstrip()} {model[-tail:].lstrip()}"
        truncated = True
    return NormalizedText(
        clean=clean,
        model_text=model,
        id_numbers=id_numbers,
        dates=dates,
        has_url=has_url,
        truncated=truncated,
        focus=(focus[-MAX_MODEL_CHARS:] or model),
        tail=(last_clause[-MAX_MODEL_CHARS:] or model),
    )


_SENTENCE_END_RE = re.compile(r"(?<=[。！？!?；;\n])")
_QUESTION_RE = re.compile(r"[?？]|吗|么|如何|怎|什么|哪|多少|几|能不能|可不可以|可以|是不是|有没有|呢|咋")
_CLOSING_RE = re.compile(r"^\W*(?:谢谢|多谢|感谢|求解答|求助|在线等|急|麻烦|先谢)")


_CLAUSE_END_RE = re.compile(r"[，,。！？!?；;：:、\n]+")
# A clause this short ("可以吗", "怎么办") says nothing without the one before it.
_MIN_TAIL_CHARS = 6
_HAN_RE = re.compile(r"[\u3400-\u9fff]")


def _tail_clause(text: str) -> str:
    """The last clause, extended back by one clause while it is shorter than six characters.

    Closings ("谢谢", "在线等") and clauses without a Chinese character (pasted code, a bare link or
    number) are skipped: they do not carry the need. The whole text when it has a single clause.
    """
    clauses = [
        c for c in _CLAUSE_END_RE.split(text) if _HAN_RE.search(c) and _model_words(c) and not _CLOSING_RE.match(c)
    ]
    if len(clauses) <= 1:
        return text
    tail = clauses[-1]
    for clause in reversed(clauses[:-1]):
        if len(_model_words(tail).replace(" ", "")) >= _MIN_TAIL_CHARS:
            break
        tail = f"{clause} {tail}"
    return tail


def _model_words(text: str) -> str:
    return _SPACE_RE.sub(" ", _PUNCT_SPACE_RE.sub(" ", text)).strip()


def _focus_sentence(text: str) -> str:
    """The question sentences of a message (first and last: a title, the need after a story).

    Without any question-like sentence, the last real sentence.
    """
    sentences = [s for s in _SENTENCE_END_RE.split(text) if len(_model_words(s)) >= 3 and not _CLOSING_RE.match(s)]
    if len(sentences) <= 1:
        return text
    questions = [s for s in sentences if _QUESTION_RE.search(s)]
    if not questions:
        return sentences[-1]
    return questions[0] if len(questions) == 1 else f"{questions[0]} {questions[-1]}"


# --- Pinyin features -------------------------------------------------------------------------
# Southern and dialect speakers (and speech-to-text) merge these sounds; folding them makes
# 认证/任正/伦正 or 刷脸/刷连 share features.
_FUZZY_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))
_FUZZY_FINALS = (("ang", "an"), ("eng", "en"), ("ing", "in"))


@lru_cache(maxsize=20000)
def char_pinyin(ch: str) -> str:
    """Toneless, fuzzy-folded pinyin of one Han character ('' for anything else).

    One reading per character (no context): polyphones get a fixed reading, which is consistent
    between training and prediction, and that is all the features need.
    """
    if not ("\u3400" <= ch <= "\u9fff"):
        return ""
    from pypinyin import Style, lazy_pinyin

    syllable = lazy_pinyin(ch, style=Style.NORMAL, errors="ignore")
    if not syllable:
        return ""
    s = syllable[0].replace("ü", "v")
    for a, b in _FUZZY_INITIALS:
        if s.startswith(a):
            s = b + s[len(a) :]
            break
    for a, b in _FUZZY_FINALS:
        if s.endswith(a):
            s = s[: -len(a)] + b
            break
    return s


def pinyin_tokens(model_text: str) -> list[str]:
    """Syllables of Han characters, placeholders kept as tokens, everything else dropped."""
    tokens: list[str] = []
    for word in model_text.split(" "):
        if word in PLACEHOLDERS:
            tokens.append(word)
            continue
        for ch in word:
            syllable = char_pinyin(ch)
            if syllable:
                tokens.append(syllable)
    return tokens
