"""Races that only a real database with row locks can show: PostgreSQL, one thread per caller."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from backend.api.errors import ApplicationError, ConflictError

POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and parallel connections; SQLite serialises all writers "
        "(run with DATABASE_URL=postgres://...)",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(*calls: Callable[[], Any]) -> list[tuple[str, Any]]:
    """Start the calls on separate threads (own connections) at the same moment; collect outcomes.

    Each outcome is ("ok", value), ("conflict", code) for a ConflictError, ("refused", code) for any
    other ApplicationError, or ("error", repr) for anything unexpected (surfaced in the assertion).
    """
    barrier = threading.Barrier(len(calls))
    outcomes: list[tuple[str, Any]] = [("error", "did not finish")] * len(calls)

    def worker(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = ("ok", call())
        except ConflictError as exc:
            outcomes[index] = ("conflict", exc.code)
        except ApplicationError as exc:
            outcomes[index] = ("refused", exc.code)
        except Exception as exc:
            outcomes[index] = ("error", repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes
