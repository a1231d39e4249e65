"""Reading agency files row by row and checking each row on its own (no database).

Both load paths (PostgreSQL's COPY + set-based SQL, and the simple path) use these functions, so a
row is rejected for the same reason on both. Checks run in a fixed order and the first failure is
the row's reason: ``bad_row`` → ``missing_field`` → ``bad_record_id`` → ``bad_id_number`` →
``bad_date`` → ``future_date``; the database then adds ``unknown_person`` and ``name_mismatch``.
"""

from __future__ import annotations

import csv
import datetime
import functools
import io
import json
import operator
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, NamedTuple

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.idnumbers import CHECK_CHARS, CHECK_WEIGHTS, parse_resident_id
from backend.api.errors import ApplicationError

FIELDS = ("record_id", "id_number", "name", "event_date")
OPTIONAL = ("detail",)
MAX_RECORD_ID = 64
MAX_DETAIL = 200

#: Every reason a row can be rejected for, in the order they are checked.
REASONS = (
    "bad_row",  # not a CSV row with the header's columns / not a JSON object
    "missing_field",  # record_id, id_number, name or event_date empty
    "bad_record_id",  # longer than 64 characters
    "bad_id_number",  # not a resident ID number (format, birth date, check digit)
    "bad_date",  # not a real YYYY-MM-DD date
    "future_date",  # after today
    "unknown_person",  # no pensioner with this ID number (after the old→new mapping)
    "name_mismatch",  # the registry's name for this ID number differs
)

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SPACE_RE = re.compile(r"[ \t\r\n\f\v]+")
_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ".": "·", "．": "·"})


class FileRefused(ApplicationError):
    """The input is not CSV or JSON Lines at all (nothing was loaded)."""

    code = "not_csv_or_jsonl"


@functools.lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Compare names as people write them: full-width and half-width alike, no spaces, one kind
    of middle dot (阿卜杜·热合曼). The same steps run in SQL on PostgreSQL (``NAME_SQL``)."""
    return _SPACE_RE.sub("", unicodedata.normalize("NFKC", name)).translate(_DOTS)


#: ``normalize_name`` in PostgreSQL, for the registry's side of the comparison.
NAME_SQL = "translate(regexp_replace(normalize({col}, NFKC), '[ \\t\\r\\n\\f\\v]+', '', 'g'), '•・‧∙.．', '······')"


class Row(NamedTuple):
    """One input row after the checks that need no database."""

    line: int
    record_id: str
    id_number: str  # normalised (18 characters) when valid
    name: str  # normalised
    event_date: datetime.date | None
    detail: str
    reason: str | None


def check_row(line: int, values: dict[str, object] | None, *, today: datetime.date) -> Row:
    if values is None:
        return Row(line, "", "", "", None, "", "bad_row")
    get = values.get
    record_id, id_raw, name, date_raw, detail = (
        _text(get("record_id")),
        _text(get("id_number")),
        _text(get("name")),
        _text(get("event_date")),
        _text(get("detail")),
    )
    keep_id, keep_detail = (record_id or "")[:MAX_RECORD_ID], (detail or "")[:MAX_DETAIL]
    if record_id is None or id_raw is None or name is None or date_raw is None or detail is None:
        return Row(line, keep_id, "", "", None, keep_detail, "bad_row")
    if not (record_id and id_raw and name and date_raw):
        return Row(line, keep_id, "", "", None, keep_detail, "missing_field")
    if len(record_id) > MAX_RECORD_ID:
        return Row(line, keep_id, "", "", None, keep_detail, "bad_record_id")
    number = _id_number(id_raw, today)
    if number is None:
        return Row(line, keep_id, "", "", None, keep_detail, "bad_id_number")
    event_date = _event_date(date_raw)
    if event_date is None:
        return Row(line, keep_id, "", "", None, keep_detail, "bad_date")
    if event_date > today:
        return Row(line, keep_id, "", "", None, keep_detail, "future_date")
    return Row(line, record_id, number, normalize_name(name), event_date, keep_detail, None)


_ID18_RE = re.compile(r"[1-9][0-9]{16}[0-9X]")


def _id_number(raw: str, today: datetime.date) -> str | None:
    """The normalised number, or None. The common case (18 clean characters) is checked here with
    the same rules as ``parse_resident_id`` (which handles everything else), a few times faster."""
    if not raw.isascii():  # full-width or other Unicode digits are not an ID number (SQL agrees)
        return None
    if _ID18_RE.fullmatch(raw):
        born = _birth_date(raw[6:14])
        if born is None or born > today or born.year < 1890:
            return None
        total = sum(map(operator.mul, map(int, raw[:17]), CHECK_WEIGHTS))
        return raw if CHECK_CHARS[total % 11] == raw[17] else None
    try:
        return parse_resident_id(raw, today=today).number
    except ValidationError:
        return None


@functools.lru_cache(maxsize=65536)
def _birth_date(digits: str) -> datetime.date | None:
    try:
        return datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None


@functools.lru_cache(maxsize=8192)
def _event_date(raw: str) -> datetime.date | None:
    if not _DATE_RE.fullmatch(raw):
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        return None


def _text(value: object) -> str | None:
    """A field as stripped text; ``None`` for a value no agency format has (a list, an object)."""
    if type(value) is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool | dict | list):
        return None
    return str(value).strip()


# --- File formats ------------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """``csv`` or ``jsonl`` from the content (the name may lie); refuse anything else."""
    with path.open("rb") as handle:
        head = handle.read(65536)
    return detect_format_bytes(head)


def detect_format_bytes(head: bytes) -> str:
    if b"\x00" in head:
        raise FileRefused(_("The file is binary, not CSV or JSON Lines."))
    first_line, _newline, _rest = head.partition(b"\n")
    try:
        first_line.decode("utf-8")
    except UnicodeDecodeError:
        if len(first_line) < len(head) or len(head) < 65536:
            raise FileRefused(_("The file is not UTF-8 text; save it as UTF-8 CSV or JSON Lines.")) from None
    # Later rows may hold a bad byte: that row is rejected by its content, the file is not refused.
    text = head.decode("utf-8", errors="replace")
    text = text.lstrip("\ufeff")
    stripped = text.lstrip()
    if not stripped:
        raise FileRefused(_("The file is empty."))
    if stripped.startswith("{"):
        return "jsonl"
    first_line = text.splitlines()[0]
    header = [name.strip().lower() for name in next(csv.reader([first_line]))]
    if set(FIELDS) <= set(header) and set(header) <= set(FIELDS) | set(OPTIONAL) and len(header) == len(set(header)):
        return "csv"
    raise FileRefused(
        _("Not CSV or JSON Lines: a CSV file starts with the header %(header)s (detail optional).")
        % {"header": ",".join(FIELDS)}
    )


def iter_rows(stream: IO[str], fmt: str) -> Iterator[tuple[int, dict[str, object] | None]]:
    """``(line, values)`` per data row; ``values`` is None for a row that cannot be read.

    The line is the row's number in the file counting the header (CSV) as line 1; for JSON Lines
    the line number itself. Blank lines are skipped but counted.
    """
    if fmt == "csv":
        yield from _csv_rows(stream)
    else:
        yield from _jsonl_rows(stream)


def _csv_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, object] | None]]:
    reader = csv.reader(stream)
    header = [name.strip().lower().lstrip("\ufeff") for name in next(reader, [])]
    width = len(header)
    line = 1
    while True:
        line += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error:  # a broken quote or a NUL: this row is unreadable, the next ones are not
            yield line, None
            continue
        if not row:
            continue
        if len(row) != width:
            yield line, None
            continue
        yield line, dict(zip(header, row, strict=True))


def _jsonl_rows(stream: IO[str]) -> Iterator[tuple[int, dict[str, object] | None]]:
    for line, text in enumerate(stream, start=1):
        text = text.strip().lstrip("\ufeff")
        if not text:
            continue
        try:
            value = json.loads(text)
        except ValueError:
            yield line, None
            continue
        yield line, value if isinstance(value, dict) else None


def open_text(path: Path) -> IO[str]:
    """UTF-8 text; an undecodable byte later in the file becomes U+FFFD (that row is then
    rejected by its content) instead of aborting the batch."""
    return path.open("r", encoding="utf-8-sig", errors="replace", newline="")


def text_stream(body: bytes) -> IO[str]:
    return io.TextIOWrapper(io.BytesIO(body), encoding="utf-8-sig", errors="replace", newline="")


def checked_rows(stream: IO[str], fmt: str, *, today: datetime.date) -> Iterable[Row]:
    for line, values in iter_rows(stream, fmt):
        yield check_row(line, values, today=today)
