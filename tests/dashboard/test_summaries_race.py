"""Two refreshes at once (the schedule and the command) queue on the state row: no row twice."""

from __future__ import annotations

import pytest

from accounts.models import Pensioner
from dashboard.models import CertificationMonthSummary, LatestCertificationSummary, SummaryRefresh
from dashboard.services import summaries_refresh
from selfservice.models import Certification
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.dashboard import data

pytestmark = POSTGRES_ONLY


@pytest.mark.parametrize("refreshed_before", [False, True])
def test_concurrent_refreshes_leave_one_set_of_rows(refreshed_before):
    data.build_county()
    if refreshed_before:
        summaries_refresh()
    outcomes = run_together(summaries_refresh, summaries_refresh)
    assert [outcome for outcome, _ in outcomes] == ["ok", "ok"]
    assert SummaryRefresh.objects.count() == 1
    people = Pensioner.objects.exclude(benefit_status="terminated").count()
    assert sum(LatestCertificationSummary.objects.values_list("people", flat=True)) == people
    assert (
        sum(CertificationMonthSummary.objects.values_list("certifications", flat=True)) == Certification.objects.count()
    )
