from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.idnumbers import check_digit
from backend.dates import add_months
from silent.models import DataSource
from tests.factories import PensionerFactory


def id_number(birth: datetime.date, seq: int = 1, area: str = "360102") -> str:
    body = f"{area}{birth:%Y%m%d}{seq:03d}"
    return body + check_digit(body)


@pytest.fixture
def today() -> datetime.date:
    return timezone.localdate()


@pytest.fixture
def source():  # type: ignore[no-untyped-def]
    return lambda key: DataSource.objects.get(key=key)


@pytest.fixture
def person():  # type: ignore[no-untyped-def]
    """A pensioner with a known ID number and name, due in ``due_in`` days."""
    counter = iter(range(1, 999))

    def make(name: str = "王秀英", *, due_in: int = 30, **kwargs):  # type: ignore[no-untyped-def]
        birth = kwargs.pop("birth_date", datetime.date(1950, 3, 15))
        return PensionerFactory(
            name=name,
            birth_date=birth,
            id_number=kwargs.pop("id_number", None) or id_number(birth, next(counter)),
            next_due=timezone.localdate() + datetime.timedelta(days=due_in),
            **kwargs,
        )

    return make


def write_csv(tmp_path: Path, rows: list[tuple], *, name: str = "in.csv", header: str | None = None) -> Path:
    path = tmp_path / name
    lines = [header or "record_id,id_number,name,event_date"]
    lines += [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rejects_of(path: Path) -> list[tuple[int, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    return [(int(line.split(",")[0]), line.split(",")[1]) for line in lines]


def cycle_start(due: datetime.date) -> datetime.date:
    return add_months(due, -12)
