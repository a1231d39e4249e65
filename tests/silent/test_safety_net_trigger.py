"""People the data cannot vouch for reach casework's visit queue (the low-grade trigger)."""

from __future__ import annotations

import pytest

from casework.models import VisitTask
from casework.services.visits import visit_queue_build
from silent.models import SurvivalGrade
from tests.factories import VillageAssignmentFactory

pytestmark = pytest.mark.django_db


def test_a_low_grade_due_soon_gets_a_visit_task_and_a_strong_grade_does_not(person, today):
    low = person(due_in=20)
    strong = person(due_in=20)
    VillageAssignmentFactory(village=low.region)
    VillageAssignmentFactory(village=strong.region)
    SurvivalGrade.objects.create(pensioner=low, grade="low", graded_on=today)
    SurvivalGrade.objects.create(pensioner=strong, grade="strong", graded_on=today)
    visit_queue_build(today=today)
    tasked = set(VisitTask.objects.filter(reason=VisitTask.Reason.LOW_GRADE).values_list("pensioner_id", flat=True))
    assert tasked == {low.pk}
