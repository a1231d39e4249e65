"""Admin search over encrypted columns: the whole search term is matched exactly against blind indexes.

``search_fields`` cannot look into a ciphertext (no ``icontains`` on it). A ModelAdmin lists the paths of
the blind-index columns it can be searched by, with what they index; ``blind_search_token`` turns the term
into that kind's token (here: phones; ``accounts.admin_search`` adds ID numbers and names), and the rows
found that way are added, indexed, to those of the ordinary ``search_fields``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from backend.lookups import PHONE, phone_search_index


class BlindIndexSearchMixin:
    """``blind_search_fields = {"recipient_bidx": PHONE}``."""

    blind_search_fields: dict[str, str] = {}

    def blind_search_token(self, kind: str, term: str) -> str | None:
        if kind == PHONE:
            return phone_search_index(term)
        raise ValueError(f"unknown blind index kind {kind!r}")

    def get_search_fields(self, request: HttpRequest) -> Any:
        # A non-empty list shows the search box; "=pk" matches nothing for a non-number term.
        return list(super().get_search_fields(request)) or ["=pk"]  # type: ignore[misc]

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        if not search_term.strip():
            return found, may_have_duplicates
        condition = Q()
        for path, kind in self.blind_search_fields.items():
            token = self.blind_search_token(kind, search_term.strip())
            if token is not None:
                condition |= Q(**{path: token})
        if not condition:
            return found, may_have_duplicates
        return found | queryset.filter(condition), may_have_duplicates
