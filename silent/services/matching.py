"""The ONE place where an agency row is matched to a registry pensioner.

Two questions, each answered once per path:

* **ID number → pensioner**: the normalised 18-digit number (after the old→new mapping) finds
  the ``accounts.Pensioner`` row. PostgreSQL: ``PENSIONER_BY_NUMBER_SQL`` (a JOIN condition), or
  ``id_number_index_sql`` to compute the index once per distinct number and join on equality;
  SQLite / small batches: ``pensioners_by_number``.
* **Name matches**: the row's normalised name (``rows.normalize_name``) equals the registry's
  name, normalised the same way. PostgreSQL: ``NAME_MATCHES_SQL`` (or ``name_index_sql``);
  elsewhere ``name_matches``.

The registry's ``id_number`` and ``name`` are ciphertext (``backend.fields``); both questions are
answered on their blind-index columns (``id_number_bidx``, ``name_bidx``), computed in SQL with
pgcrypto on PostgreSQL (the key travels as a query parameter: ``match_params``).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.lookups import ID_NUMBER, NAME, id_number_index
from accounts.models import Pensioner
from backend import crypto
from silent.services.rows import normalize_name

_INDEX_SQL = "encode(hmac(convert_to(%({domain})s || ({value}), 'UTF8'), %(match_index_key)s, 'sha256'), 'hex')"

#: JOIN condition: the pensioner ``{p}`` whose ID number is ``{number}`` (an SQL expression
#: giving the normalised, mapped 18-character number), on the blind index.
PENSIONER_BY_NUMBER_SQL = "{p}.id_number_bidx = " + _INDEX_SQL.replace("{domain}", "match_id_domain")

#: Boolean SQL: the registry name of ``{p}`` matches ``{name}`` (already normalised in SQL, the form
#: the name's blind index is taken over: ``accounts.lookups.canonical_name``).
NAME_MATCHES_SQL = "{p}.name_bidx = " + _INDEX_SQL.replace("{domain}", "match_name_domain").replace("{value}", "{name}")


def match_params() -> dict[str, object]:
    """The named query parameters the two SQL fragments need (the blind-index key and domains)."""
    return {
        "match_id_domain": f"{ID_NUMBER}:",
        "match_name_domain": f"{NAME}:",
        "match_index_key": crypto.blind_index_key(),
    }


def id_number_index_sql(number: str) -> str:
    """SQL: the registry's ``id_number_bidx`` of ``{number}`` (a normalised, mapped 18-character number)."""
    return _INDEX_SQL.replace("{domain}", "match_id_domain").replace("{value}", number)


def name_index_sql(name: str) -> str:
    """SQL: the registry's ``name_bidx`` of ``{name}`` (already normalised in SQL)."""
    return _INDEX_SQL.replace("{domain}", "match_name_domain").replace("{value}", name)


def pensioner_by_number_sql(*, p: str, number: str) -> str:
    return PENSIONER_BY_NUMBER_SQL.replace("{p}", p).replace("{value}", number)


def name_matches_sql(*, p: str, name: str) -> str:
    return NAME_MATCHES_SQL.replace("{p}", p).replace("{name}", name)


def pensioners_by_number(numbers: Iterable[str]) -> dict[str, tuple[int, str]]:
    """``{normalised ID number: (pensioner id, registry name)}`` for the numbers that exist."""
    by_index = {id_number_index(number): number for number in set(numbers)}
    return {
        by_index[index]: (pk, name)
        for pk, index, name in Pensioner.objects.filter(id_number_bidx__in=by_index).values_list(
            "pk", "id_number_bidx", "name"
        )
    }


def name_matches(registry_name: str, row_name: str) -> bool:
    """``row_name`` is already normalised (``rows.check_row``)."""
    return registry_name == row_name or normalize_name(registry_name) == row_name
