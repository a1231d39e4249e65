"""A small county for the dashboard tests: two townships, three villages, and a neighbouring county
whose people must never show. Each figure the tests check is set here, on purpose, once."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import Pensioner, Region, User
from accounts.roles import Role
from casework.models import Case, MonthlyReport
from casework.rules import monthly_report_due_on
from facecheck.models import FaceAttempt
from selfservice.services import certification_record
from tests.casework.factories import region, staff
from tests.factories import PensionerFactory, UserFactory

COUNTY = "360102000000"
TOWNSHIP_A = "360102001000"
TOWNSHIP_B = "360102002000"
VILLAGE_A1 = "360102001001"
VILLAGE_A2 = "360102001002"
VILLAGE_B1 = "360102002001"
OTHER_VILLAGE = "360121001001"  # another county of the same city


NAMES = {
    "360000000000": "江西省",
    "360100000000": "南昌市",
    COUNTY: "东湖区",
    TOWNSHIP_A: "豫章街道",
    TOWNSHIP_B: "董家窑街道",
    VILLAGE_A1: "墩子塘社区",
    VILLAGE_A2: "彭家桥社区",
    VILLAGE_B1: "青山路社区",
    "360121000000": "南昌县",
    "360121001000": "莲塘镇",
    OTHER_VILLAGE: "向阳村",
}


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@dataclass
class County:
    today: datetime.date
    staff: User
    villages: dict[str, Region]


def person(village: Region, *, due_in: int = 200, status: str = "active", reason: str = "", **kwargs) -> Pensioner:
    today = timezone.localdate()
    return PensionerFactory(
        region=village,
        next_due=today + datetime.timedelta(days=due_in),
        benefit_status=status,
        suspension_reason=reason,
        **kwargs,
    )


def certify(pensioner: Pensioner, method: str, days_ago: int) -> None:
    certification_record(
        pensioner=pensioner,
        method=method,
        recorded_by=None,
        certified_at=at(timezone.localdate() - datetime.timedelta(days=days_ago)),
    )


def build_county() -> County:
    """Village A1: 4 people (silent 10 days ago, face 40 days ago, proxy 400 days ago = outside a
    12-month period, never certified and overdue); A2: 2 (counter, suspended for overdue);
    B1: 2 (onsite; due in 10 days) and one terminated; the other county: 2 (silent)."""
    today = timezone.localdate()
    region(COUNTY)
    villages = {code: region(code) for code in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, OTHER_VILLAGE)}
    for code, name in NAMES.items():
        Region.objects.filter(code=code).update(name=name)
    villages = {code: Region.objects.get(code=code) for code in villages}
    a1, a2, b1, other = (villages[c] for c in (VILLAGE_A1, VILLAGE_A2, VILLAGE_B1, OTHER_VILLAGE))

    certify(person(a1), "silent", 10)
    certify(person(a1), "face", 40)
    certify(person(a1), "proxy_face", 400)
    person(a1, due_in=-5)  # overdue, never certified
    certify(person(a2), "counter", 100)
    person(a2, due_in=-60, status="suspended", reason="overdue")
    certify(person(b1, due_in=10), "onsite", 5)  # the certification moves the due date a year on
    person(b1, due_in=10)  # due soon
    person(b1, status="terminated")
    certify(person(other), "silent", 3)
    certify(person(other), "silent", 3)
    return County(today=today, staff=staff(Role.CASEWORKER, region_code=COUNTY), villages=villages)


def report(village: Region, period: datetime.date, *, late: bool = False, zero: bool = False) -> MonthlyReport:
    due = monthly_report_due_on(period)
    submitted = at(due + datetime.timedelta(days=3 if late else -2))
    return MonthlyReport.objects.create(
        village=village,
        period=period,
        is_zero=zero,
        due_on=due,
        submitted_by=UserFactory(roles=[Role.VILLAGE_ASSISTANT]),
        submitted_at=submitted,
        first_submitted_at=submitted,
        client_request_id=uuid.uuid4(),
    )


def case(pensioner: Pensioner, category: str, *, age_days: int, status: str = "open", **kwargs) -> Case:
    opened = Case.objects.create(pensioner=pensioner, category=category, source="staff", status=status, **kwargs)
    Case.objects.filter(pk=opened.pk).update(created_at=at(timezone.localdate() - datetime.timedelta(days=age_days)))
    return opened


def attempt(pensioner: Pensioner, result: str, reason: str = "", *, days_ago: int = 1) -> FaceAttempt:
    certification = None
    if result == FaceAttempt.Result.ACCEPTED:
        certification = certification_record(pensioner=pensioner, method="face", recorded_by=None)
    return FaceAttempt.objects.create(
        pensioner=pensioner,
        actor=pensioner.user or UserFactory(),
        method="face",
        result=result,
        reason=reason,
        certification=certification,
        created_at=at(timezone.localdate() - datetime.timedelta(days=days_ago)),
    )
