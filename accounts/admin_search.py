"""Admin search over encrypted columns of accounts and the apps above: ID numbers, names and phones.

The mechanism is ``backend.admin_search.BlindIndexSearchMixin``; this one also knows the ID-number and
name tokens, so a full ID number, a full name or a phone number (as people type it) finds the rows.
"""

from __future__ import annotations

from accounts.lookups import ID_NUMBER, NAME, PHONE, id_number_index, name_index
from backend import admin_search
from backend.lookups import phone_search_index


def search_token(kind: str, term: str) -> str | None:
    term = term.strip()
    if not term:
        return None
    if kind == ID_NUMBER:
        return id_number_index(term)
    if kind == NAME:
        return name_index(term)
    if kind == PHONE:
        return phone_search_index(term)
    raise ValueError(f"unknown blind index kind {kind!r}")


class BlindIndexSearchMixin(admin_search.BlindIndexSearchMixin):
    """``blind_search_fields = {"pensioner__id_number_bidx": ID_NUMBER, "pensioner__name_bidx": NAME}``."""

    def blind_search_token(self, kind: str, term: str) -> str | None:
        return search_token(kind, term)


# The usual pair on models that belong to a pensioner.
PENSIONER_SEARCH = {"pensioner__id_number_bidx": ID_NUMBER, "pensioner__name_bidx": NAME}
