"""django-q2 entry points (dotted paths in schedules); safe to run twice."""

from __future__ import annotations

from silent.services.rounds import silent_round


def silent_round_daily() -> dict[str, int]:
    report = silent_round()
    return {
        "round": report.pk,
        "certified": report.certified,
        "graded": report.graded,
        "holds": report.holds,
        "suspensions": report.suspensions,
        "cases": report.cases,
    }
