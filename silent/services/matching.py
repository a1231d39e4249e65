"""The ONE place where an agency row is matched to a registry pensioner.

Two questions, each answered once per path:

* **ID number → pensioner**: the normalised 18-digit number (after the old→new mapping) finds
  the ``accounts.Pensioner`` row. PostgreSQL: ``PENSIONER_BY_NUMBER_SQL`` (a JOIN condition);
  SQLite / small batches: ``pensioners_by_number``.
* **Name matches**: the row's normalised name (``rows.normalize_name``) equals the registry's
  name, normalised the same way. PostgreSQL: ``NAME_MATCHES_SQL``; elsewhere ``name_matches``.

When the registry's ``id_number`` and ``name`` become ciphertext with blind-index columns, only
this module changes (e.g. ``p.id_number_bidx = hmac(<number>, <key>, 'sha256')`` and the same
for the normalised name).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Pensioner
from silent.services.rows import NAME_SQL, normalize_name

#: JOIN condition: the pensioner ``{p}`` whose ID number is ``{number}`` (an SQL expression
#: giving the normalised, mapped 18-character number).
PENSIONER_BY_NUMBER_SQL = "{p}.id_number = {number}"

#: Boolean SQL: the registry name of ``{p}`` matches ``{name}`` (already normalised in SQL).
NAME_MATCHES_SQL = "({p}.name = {name} OR " + NAME_SQL.format(col="{p}.name") + " = {name})"


def pensioner_by_number_sql(*, p: str, number: str) -> str:
    return PENSIONER_BY_NUMBER_SQL.format(p=p, number=number)


def name_matches_sql(*, p: str, name: str) -> str:
    return NAME_MATCHES_SQL.replace("{p}", p).replace("{name}", name)


def pensioners_by_number(numbers: Iterable[str]) -> dict[str, tuple[int, str]]:
    """``{normalised ID number: (pensioner id, registry name)}`` for the numbers that exist."""
    return {
        number: (pk, name)
        for pk, number, name in Pensioner.objects.filter(id_number__in=set(numbers)).values_list(
            "pk", "id_number", "name"
        )
    }


def name_matches(registry_name: str, row_name: str) -> bool:
    """``row_name`` is already normalised (``rows.check_row``)."""
    return registry_name == row_name or normalize_name(registry_name) == row_name
