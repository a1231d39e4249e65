"""Exact lookups on encrypted personal data: the blind-index tokens of ID numbers, phones and names.

``Pensioner.id_number_bidx`` (unique), ``Pensioner.phone_bidx``, ``Pensioner.name_bidx`` and
``User.phone_bidx`` (unique) hold these tokens (backend.fields keeps them in step with the plaintext).
Filter with them: ``Pensioner.objects.filter(id_number_bidx=id_number_index(number))``. Set-based SQL on
PostgreSQL computes the same token with ``*_index_sql`` (pgcrypto), e.g. to join imported ID numbers
against pensioners: ``... JOIN accounts_pensioner p ON p.id_number_bidx = <id_number_index_sql("s.id_number")>``.
"""

from __future__ import annotations

import re
import unicodedata

from backend import crypto
from backend.lookups import PHONE as PHONE  # one definition for every layer, re-exported here
from backend.lookups import phone_index as phone_index

ID_NUMBER = "id_number"
NAME = "name"


def id_number_index(number: str) -> str:
    """Token of an 18-character ID number (compared upper-case, like the stored form)."""
    return crypto.blind_index(number.strip().upper(), domain=ID_NUMBER)


_SPACES = re.compile(r"[ \t\r\n\f\v]+")
_DOTS = str.maketrans({"•": "·", "・": "·", "‧": "·", "∙": "·", ".": "·", "．": "·"})
# ``canonical_name`` in PostgreSQL (the same steps; silent.services.rows.NAME_SQL is this rule too).
CANONICAL_NAME_SQL = (
    "translate(regexp_replace(normalize({col}, NFKC), '[ \\t\\r\\n\\f\\v]+', '', 'g'), '•・‧∙.．', '······')"
)


def canonical_name(name: str) -> str:
    """A name as people write it, compared alike: NFKC (full-width = half-width), no spaces, one kind of
    middle dot (阿卜杜·热合曼). The name's blind index is over this form."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", name)).translate(_DOTS)


def name_index(name: str) -> str:
    """Token of a full name, over its canonical form (``canonical_name``)."""
    return crypto.blind_index(canonical_name(name), domain=NAME)


def id_number_index_sql(value_sql: str) -> tuple[str, list[object]]:
    """PostgreSQL: SQL and parameters computing ``id_number_index`` of a text expression already in the
    stored form (trimmed, upper-case: wrap it in ``upper(btrim(...))`` if it may not be)."""
    return crypto.blind_index_sql(value_sql, domain=ID_NUMBER)


def phone_index_sql(value_sql: str) -> tuple[str, list[object]]:
    """PostgreSQL: SQL and parameters computing ``phone_index`` of an E.164 text expression."""
    return crypto.blind_index_sql(value_sql, domain=PHONE)


def name_index_sql(value_sql: str) -> tuple[str, list[object]]:
    """PostgreSQL: SQL and parameters computing ``name_index`` of a text expression (canonicalised in SQL)."""
    return crypto.blind_index_sql(CANONICAL_NAME_SQL.format(col=f"({value_sql})"), domain=NAME)
