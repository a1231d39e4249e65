"""Helpers for the safety-net tests: visitors, proof bodies, confirmation through the API."""

from __future__ import annotations

import datetime

from accounts.models import Pensioner, Region, User
from accounts.roles import Role
from tests.casework.factories import caseworker, evidence_for, jpeg_bytes, request_id, reviewer
from tests.conftest import client_for
from tests.factories import UserFactory, VillageAssignmentFactory

_sizes = iter(range(20, 10_000))


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


def photo(user: User):  # type: ignore[no-untyped-def]
    """A distinct photo each time (evidence backs one proof only)."""
    return evidence_for(user, jpeg_bytes((next(_sizes), 30)))


def grid_worker(village: Region) -> User:
    return VillageAssignmentFactory(village=village, user=UserFactory(roles=[Role.GRID_WORKER])).user


def assistant(village: Region) -> User:
    return VillageAssignmentFactory(village=village).user


def visit_body(user: User, pensioner: Pensioner, **overrides) -> dict:  # type: ignore[no-untyped-def]
    return {
        "pensioner_id": pensioner.pk,
        "method": "onsite",
        "place": "家中",
        "seen_on": today().isoformat(),
        "evidence_id": photo(user).pk,
        "client_request_id": request_id(),
        **overrides,
    }


def record_visit(user: User, pensioner: Pensioner, **overrides):  # type: ignore[no-untyped-def]
    return client_for(user).post(
        "/api/v1/onsite-certifications", visit_body(user, pensioner, **overrides), format="json"
    )


def accept(case_id: int, maker: User | None = None):  # type: ignore[no-untyped-def]
    response = client_for(maker or caseworker()).post(f"/api/v1/cases/{case_id}/accept", {}, format="json")
    assert response.status_code == 200, response.json()
    return response


def approve(case_id: int, checker: User | None = None):  # type: ignore[no-untyped-def]
    return client_for(checker or reviewer()).post(f"/api/v1/cases/{case_id}/approve", {}, format="json")


def reject(case_id: int, checker: User | None = None, note: str = "照片看不清"):  # type: ignore[no-untyped-def]
    return client_for(checker or reviewer()).post(f"/api/v1/cases/{case_id}/reject", {"note": note}, format="json")
