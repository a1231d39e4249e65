"""The elder-mode display block names the parent when a relative reads it (issue 13)."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import Pensioner
from tests.conftest import client_for
from tests.factories import PensionerFactory, RelativeLinkFactory, pensioner_user

pytestmark = pytest.mark.django_db


def _display(user, pensioner: Pensioner) -> dict:  # type: ignore[no-untyped-def]
    response = client_for(user).get(f"/api/v1/certification/status?pensioner={pensioner.pk}")
    assert response.status_code == 200
    return response.json()["display"]


def test_a_relative_reading_a_certified_parent_is_not_told_you_have_certified() -> None:
    parent = PensionerFactory(name="王秀英", next_due=timezone.localdate() + datetime.timedelta(days=200))
    display = _display(RelativeLinkFactory(pensioner=parent).relative, parent)
    assert "您" not in display["sentence"]
    assert "王秀英" in display["sentence"]


def test_a_relative_reading_an_overdue_parent_sees_the_parents_name() -> None:
    parent = PensionerFactory(name="李建国", next_due=timezone.localdate() - datetime.timedelta(days=5))
    display = _display(RelativeLinkFactory(pensioner=parent).relative, parent)
    assert "您的认证" not in display["sentence"]
    assert "李建国" in display["sentence"]


def test_the_pensioner_reading_their_own_status_is_still_addressed_as_you() -> None:
    pensioner = PensionerFactory(next_due=timezone.localdate() + datetime.timedelta(days=200))
    display = _display(pensioner_user(pensioner), pensioner)
    assert display["sentence"].startswith("您已完成认证")
