"""Named locks for critical sections that must be serialised even when no row exists yet.

``select_for_update`` locks only rows that are already there: two requests that both find "no code
sent yet" both go ahead. A named lock is taken before the read, so the second request waits and
then sees the first one's row.

PostgreSQL: an advisory lock keyed on a 64-bit hash of the name. SQLite: transactions are
``IMMEDIATE`` (see settings), so writers are serialised by the database already and nothing is
needed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_*`` (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True)


def transaction_lock(name: str) -> None:
    """Hold the lock ``name`` until the current transaction commits or rolls back."""
    if not connection.in_atomic_block:
        raise RuntimeError("transaction_lock() must be called inside transaction.atomic().")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])


@contextmanager
def session_lock(name: str) -> Iterator[None]:
    """Hold the lock ``name`` for the ``with`` block, across several transactions (released in ``finally``)."""
    if connection.vendor != "postgresql":
        yield
        return
    key = lock_key(name)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
