"""Admin search over encrypted columns: the whole search term is matched exactly against blind indexes.

``search_fields`` cannot look into a ciphertext (no ``icontains`` on it). A ModelAdmin lists the paths of
the blind-index columns it can be searched by, with what they index; a full ID number, a full name or a
phone number (as people type it) then finds the rows, indexed, alongside the ordinary ``search_fields``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from accounts.lookups import ID_NUMBER, NAME, PHONE, id_number_index, name_index, phone_index
from accounts.phones import normalize_mainland_mobile


def search_token(kind: str, term: str) -> str | None:
    term = term.strip()
    if not term:
        return None
    if kind == ID_NUMBER:
        return id_number_index(term)
    if kind == NAME:
        return name_index(term)
    if kind == PHONE:
        try:
            return phone_index(normalize_mainland_mobile(term))
        except ValidationError:
            return None
    raise ValueError(f"unknown blind index kind {kind!r}")


class BlindIndexSearchMixin:
    """``blind_search_fields = {"pensioner__id_number_bidx": ID_NUMBER, "pensioner__name_bidx": NAME}``."""

    blind_search_fields: dict[str, str] = {}

    def get_search_fields(self, request: HttpRequest) -> Any:
        # A non-empty list shows the search box; "=pk" matches nothing for a non-number term.
        return list(super().get_search_fields(request)) or ["=pk"]  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        condition = Q()
        for path, kind in self.blind_search_fields.items():
            token = search_token(kind, search_term)
            if token is not None:
                condition |= Q(**{path: token})
        if not search_term.strip() or not condition:
            return found, may_have_duplicates
        return found | queryset.filter(condition), may_have_duplicates


# The usual pair on models that belong to a pensioner.
PENSIONER_SEARCH = {"pensioner__id_number_bidx": ID_NUMBER, "pensioner__name_bidx": NAME}
