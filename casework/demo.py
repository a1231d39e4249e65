"""Demo data of casework: the payment ledger (discovered by ``manage.py seed_demo``)."""

from __future__ import annotations

import datetime
from typing import Any

from casework.services import ledger_seed_demo


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: Any) -> list[str]:
    ledger_seed_demo()
    return []
