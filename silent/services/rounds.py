"""The comparison round (比对): agencies' events in the database → decisions about people.

Order matters and is fixed: (1) death, custody and release signals are acted on first, so (2)
activity dated after a death is caught and (3) a person with a death signal is graded low and (4)
never certified in the same round. Grading is one set-based statement over the registry; the
people it makes certifiable are then certified in chunks: active people through
``selfservice.services.certification_record_bulk`` (one statement per step for the chunk, one
decision and audit event per person with the evidence that proved them alive), overdue-suspended
people one by one through ``certification_record`` (its resumption case).

Idempotent: a signal event is acted on once (``Decision`` is unique per event and outcome), a
grade is rewritten only when it changes, and a certification happens only when it rolls the due
date forward, so a second round the same day changes nothing.
"""

from __future__ import annotations

import datetime
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Pensioner
from accounts.services import audit_record, audit_record_bulk_refs
from backend.api.errors import ApplicationError
from backend.bulk import bulk_insert
from backend.dates import add_months
from backend.formats import plain_date
from casework.models import Case
from casework.rules import case_cause
from casework.services import case_open
from selfservice.benefits import benefits_hold, benefits_suspend
from selfservice.models import Benefit, Certification
from selfservice.services import BulkProof, certification_record, certification_record_bulk
from silent.models import DataSource, Decision, EvidenceEvent, RoundReport, SurvivalGrade
from silent.services.grades import grades_refresh

logger = logging.getLogger(__name__)

Kind = DataSource.Kind
Outcome = Decision.Outcome
SIGNAL_KINDS = (Kind.DEATH, Kind.CUSTODY, Kind.RELEASE)
ACTIVITY_KINDS = (Kind.STRONG, Kind.WEAK)


@dataclass
class Tally:
    report: RoundReport
    certified: int = 0
    graded: int = 0
    holds: int = 0
    suspensions: int = 0
    cases: int = 0
    by_outcome: Counter[str] = field(default_factory=Counter)
    by_source: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def count(self, outcome: str, source_key: str) -> None:
        self.by_outcome[outcome] += 1
        self.by_source[source_key][outcome] += 1


def silent_round(*, today: datetime.date | None = None) -> RoundReport:
    """Run one comparison round and keep its report."""
    today = today or timezone.localdate()
    report = RoundReport.objects.create(run_on=today)
    tally = Tally(report=report)
    sources = list(DataSource.objects.filter(active=True))
    with _step("signals"):
        _act_on_signals(today=today, sources=sources, tally=tally)
    with _step("activity after death"):
        _activity_after_death(sources=sources, tally=tally)
    with _step("grades"):
        tally.graded = grades_refresh(today=today)
    with _step("certification"):
        _certify(today=today, sources=sources, tally=tally)
    report.certified, report.graded, report.holds = tally.certified, tally.graded, tally.holds
    report.suspensions, report.cases = tally.suspensions, tally.cases
    report.by_outcome = dict(tally.by_outcome)
    report.by_source = {key: dict(counter) for key, counter in sorted(tally.by_source.items())}
    report.grades = _grade_counts()
    report.finished_at = timezone.now()
    report.save()
    return report


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Log each step's wall time (operations watch the round's duration; the benchmark reads it)."""
    start = time.perf_counter()
    yield
    logger.info("silent round step %s: %.1f s", name, time.perf_counter() - start)


def _grade_counts() -> dict[str, int]:
    return dict(SurvivalGrade.objects.values("grade").annotate(n=Count("pk")).values_list("grade", "n"))


def _valid_q(sources: list[DataSource], kinds: tuple[str, ...], today: datetime.date) -> Q:
    """Events of active sources of ``kinds`` that are still inside their source's validity."""
    q = Q(pk__in=[])
    for source in sources:
        if source.kind in kinds:
            q |= Q(source=source, event_date__gte=today - datetime.timedelta(days=source.validity_days))
    return q & Q(event_date__lte=today)


def _decide(
    *,
    tally: Tally,
    pensioner_id: int,
    outcome: str,
    trigger: EvidenceEvent | _Event,
    evidence: list[int],
    case: Case | None = None,
    certification: Certification | None = None,
) -> Decision:
    decision = Decision.objects.create(
        round=tally.report,
        pensioner_id=pensioner_id,
        outcome=outcome,
        trigger_id=trigger.pk,
        evidence_ids=evidence,
        case=case,
        certification=certification,
    )
    audit_record(
        actor=None,
        action=f"silent.{outcome}",
        target=decision,
        pensioner_id=pensioner_id,
        details={
            "source": trigger.source.key,
            "record_id": trigger.record_id,
            "event_date": trigger.event_date.isoformat(),
            "evidence": evidence,
            "case": case.pk if case else None,
            "certification": certification.pk if certification else None,
            "round": tally.report.pk,
        },
    )
    tally.count(outcome, trigger.source.key)
    return decision


# --- (1) Death, custody and release signals ------------------------------------------------------------


def _act_on_signals(*, today: datetime.date, sources: list[DataSource], tally: Tally) -> None:
    events = (
        EvidenceEvent.objects.filter(_valid_q(sources, SIGNAL_KINDS, today))
        .filter(decisions__isnull=True)
        .select_related("source")
        .order_by("event_date", "pk")
    )
    for event in events.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                _act_on_signal(event=event, tally=tally)
        except (ApplicationError, IntegrityError):
            logger.exception("silent round: could not act on evidence event %s", event.pk)


def _signal_details(event: EvidenceEvent, kind: str) -> dict[str, Any]:
    return {
        "type": "data_comparison",
        "event": kind,
        "event_date": event.event_date.isoformat(),
        "source": event.source.key,
        "record_id": event.record_id,
        "evidence": [event.pk],
    }


def _act_on_signal(*, event: EvidenceEvent, tally: Tally) -> None:
    person = Pensioner.objects.select_for_update().get(pk=event.pensioner_id)
    kind = event.source.kind
    if person.benefit_status == Pensioner.BenefitStatus.TERMINATED:
        # Nothing left to stop; activity after a recorded death is handled separately.
        _decide(tally=tally, pensioner_id=person.pk, outcome=Outcome.NO_ACTION, trigger=event, evidence=[event.pk])
        return
    when = plain_date(event.event_date)
    if kind == Kind.DEATH:
        case = case_open(
            pensioner=person,
            category=Case.Category.SUSPECTED_DEATH,
            source=Case.Source.DATA_COMPARISON,
            summary=_("Death on %(date)s in %(source)s data") % {"date": when, "source": event.source.name},
            details=_signal_details(event, "death"),
        )
        change = benefits_hold(pensioner=person, cause=case_cause(case), actor=None)
        tally.holds += change.any_changed
        outcome = Outcome.DEATH_HOLD
    elif kind == Kind.CUSTODY:
        case = case_open(
            pensioner=person,
            category=Case.Category.IMPRISONED,
            source=Case.Source.DATA_COMPARISON,
            summary=_("In custody from %(date)s in %(source)s data") % {"date": when, "source": event.source.name},
            details=_signal_details(event, "custody"),
        )
        change = benefits_suspend(
            pensioner=person,
            reason=Benefit.Reason.CASE,
            actor=None,
            details={"case": case.pk, "evidence": [event.pk], "source": event.source.key},
        )
        tally.suspensions += change.any_changed
        outcome = Outcome.CUSTODY_SUSPEND
    else:
        case = _release_case(person=person, event=event, when=when)
        outcome = Outcome.RELEASE_REVIEW
    tally.cases += 1
    _decide(tally=tally, pensioner_id=person.pk, outcome=outcome, trigger=event, evidence=[event.pk], case=case)


def _release_case(*, person: Pensioner, event: EvidenceEvent, when: str) -> Case:
    """Released: the back office reviews resuming payment from the release date (not the months
    in custody), through the ordinary resumption case and its two-level approval."""
    case = case_open(
        pensioner=person,
        category=Case.Category.RESUMPTION,
        source=Case.Source.DATA_COMPARISON,
        summary=_("Released on %(date)s in %(source)s data; review resuming payment")
        % {"date": when, "source": event.source.name},
        details=_signal_details(event, "release"),
    )
    if person.benefit_status == Pensioner.BenefitStatus.SUSPENDED:
        since = max(person.status_since, event.event_date)
        case.details["suspension"] = {"since": since.isoformat(), "reason": person.suspension_reason}
        case.requires_city_review = case.requires_city_review or timezone.localdate() > add_months(
            person.status_since, 12
        )
        case.save(update_fields=["details", "requires_city_review", "updated_at"])
    return case


# --- (2) Activity dated after a recorded death ---------------------------------------------------------


def live_death_events() -> Any:
    """Death events not refuted: their suspected-death case was not rejected."""
    return EvidenceEvent.objects.filter(source__kind=Kind.DEATH, source__active=True).exclude(
        decisions__case__status=Case.Status.REJECTED
    )


def _activity_after_death(*, sources: list[DataSource], tally: Tally) -> None:
    deaths: dict[int, datetime.date] = dict(
        Pensioner.objects.filter(deceased_on__isnull=False).values_list("pk", "deceased_on")
    )
    for pensioner_id, day in (
        live_death_events().values("pensioner_id").annotate(day=Min("event_date")).values_list("pensioner_id", "day")
    ):
        deaths[pensioner_id] = min(day, deaths.get(pensioner_id, day))
    activity_sources = [s for s in sources if s.kind in ACTIVITY_KINDS]
    ids = sorted(deaths)
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        events = (
            EvidenceEvent.objects.filter(pensioner_id__in=chunk, source__in=activity_sources, decisions__isnull=True)
            .select_related("source")
            .order_by("pensioner_id", "event_date", "pk")
        )
        for event in events:
            if event.event_date <= deaths[event.pensioner_id]:
                continue
            try:
                with transaction.atomic():
                    _data_quality_case(event=event, death_on=deaths[event.pensioner_id], tally=tally)
            except (ApplicationError, IntegrityError):
                logger.exception("silent round: could not open a data-quality case for event %s", event.pk)


def _data_quality_case(*, event: EvidenceEvent, death_on: datetime.date, tally: Tally) -> None:
    person = Pensioner.objects.select_for_update().get(pk=event.pensioner_id)
    details = _signal_details(event, "activity_after_death") | {"death_on": death_on.isoformat()}
    case = case_open(
        pensioner=person,
        category=Case.Category.DATA_QUALITY,
        source=Case.Source.DATA_COMPARISON,
        summary=_("%(source)s record on %(date)s, after the recorded death on %(death)s")
        % {"source": event.source.name, "date": plain_date(event.event_date), "death": plain_date(death_on)},
        details=details,
    )
    tally.cases += 1
    _decide(
        tally=tally, pensioner_id=person.pk, outcome=Outcome.DATA_QUALITY, trigger=event, evidence=[event.pk], case=case
    )


# --- (4) Certification ---------------------------------------------------------------------------------


def _certify(*, today: datetime.date, sources: list[DataSource], tally: Tally) -> None:
    window_end = today + datetime.timedelta(days=settings.SILENT_CERTIFY_WINDOW_DAYS)
    candidates = (
        SurvivalGrade.objects.filter(
            grade=SurvivalGrade.Grade.STRONG, death_signal=False, pensioner__next_due__lte=window_end
        )
        .filter(
            Q(pensioner__benefit_status=Pensioner.BenefitStatus.ACTIVE)
            | Q(
                pensioner__benefit_status=Pensioner.BenefitStatus.SUSPENDED,
                pensioner__suspension_reason=Pensioner.SuspensionReason.OVERDUE,
            )
        )
        .filter(pensioner__deceased_on__isnull=True)
        .values_list(
            "pensioner_id",
            "pensioner__next_due",
            "strong_seen_on",
            "weak_seen_on",
            "score",
            "weak_sources",
            "pensioner__benefit_status",
        )
        .order_by("pensioner_id")
    )
    chunk: list[tuple[Any, ...]] = []
    for row in candidates.iterator(chunk_size=settings.SILENT_CERTIFY_CHUNK):
        chunk.append(row)
        if len(chunk) >= settings.SILENT_CERTIFY_CHUNK:
            _certify_chunk(chunk=chunk, today=today, sources=sources, tally=tally)
            chunk = []
    if chunk:
        _certify_chunk(chunk=chunk, today=today, sources=sources, tally=tally)


@dataclass(frozen=True)
class _Event:
    """An activity event as the certification step needs it (plain values, no model instance)."""

    pk: int
    pensioner_id: int
    source: DataSource
    record_id: str
    event_date: datetime.date


@dataclass
class _Proof:
    pensioner_id: int
    outcome: str
    trigger: _Event
    used: list[_Event]
    suspended: bool


def _proofs(*, chunk: list[tuple[Any, ...]], today: datetime.date, sources: list[DataSource]) -> list[_Proof]:
    """Which event proves each candidate alive, with one query for the whole chunk."""
    months = settings.CERTIFICATION_VALIDITY_MONTHS
    wanted: dict[int, tuple[bool, datetime.date, bool]] = {}
    for pensioner_id, next_due, strong_seen, weak_seen, score, weak_sources, status in chunk:
        weak_ok = (
            weak_seen is not None
            and float(score) >= settings.SILENT_WEAK_CERTIFY_SCORE
            and weak_sources >= settings.SILENT_WEAK_MIN_SOURCES
        )
        # The latest proof wins (a strong record of February and weak traces of last week: last week),
        # and it must move the due date forward.
        use_weak = weak_ok and (strong_seen is None or weak_seen > strong_seen)
        proof = weak_seen if use_weak else strong_seen
        if proof is None or add_months(proof, months) <= next_due:
            continue
        wanted[pensioner_id] = (use_weak, proof, status == Pensioner.BenefitStatus.SUSPENDED)
    if not wanted:
        return []
    by_id = {source.pk: source for source in sources}
    strong: dict[int, _Event] = {}
    weak: dict[int, dict[int, _Event]] = defaultdict(dict)
    rows = (
        EvidenceEvent.objects.filter(_valid_q(sources, ACTIVITY_KINDS, today), pensioner_id__in=list(wanted))
        .order_by("pensioner_id", "-event_date", "-pk")
        .values_list("pk", "pensioner_id", "source_id", "record_id", "event_date")
    )
    for pk, pensioner_id, source_id, record_id, event_date in rows:
        source = by_id[source_id]
        use_weak, proof, _suspended = wanted[pensioner_id]
        if source.kind == Kind.STRONG:
            if not use_weak and event_date == proof:
                # ordered newest pk first: the last one kept is the lowest pk
                strong[pensioner_id] = _Event(pk, pensioner_id, source, record_id, event_date)
        elif source_id not in weak[pensioner_id]:
            # every weak source, its newest event
            weak[pensioner_id][source_id] = _Event(pk, pensioner_id, source, record_id, event_date)
    proofs = []
    for pensioner_id, (use_weak, _proof, suspended) in wanted.items():
        if use_weak:
            used = sorted(weak[pensioner_id].values(), key=lambda e: (e.event_date, e.pk), reverse=True)
            if used:
                proofs.append(_Proof(pensioner_id, Outcome.CERTIFIED_WEAK, used[0], used, suspended))
        elif pensioner_id in strong:
            trigger = strong[pensioner_id]
            proofs.append(_Proof(pensioner_id, Outcome.CERTIFIED_STRONG, trigger, [trigger], suspended))
    return proofs


def _certified_at(day: datetime.date) -> datetime.datetime:
    noon = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
    return min(noon, timezone.now())


def _certify_chunk(
    *, chunk: list[tuple[Any, ...]], today: datetime.date, sources: list[DataSource], tally: Tally
) -> None:
    proofs = _proofs(chunk=chunk, today=today, sources=sources)
    # Suspended people (overdue): the per-person path, with its resumption case.
    for proof in proofs:
        if not proof.suspended:
            continue
        try:
            with transaction.atomic():
                _certify_one(
                    pensioner_id=proof.pensioner_id,
                    outcome=proof.outcome,
                    trigger=proof.trigger,
                    used=proof.used,
                    tally=tally,
                )
        except (ApplicationError, IntegrityError):
            logger.exception("silent round: could not certify pensioner %s", proof.pensioner_id)
    active = [proof for proof in proofs if not proof.suspended]
    if not active:
        return
    try:
        with transaction.atomic():
            _certify_bulk(proofs=active, tally=tally)
    except (ApplicationError, IntegrityError):
        logger.exception("silent round: could not certify a chunk of %s people", len(active))


def _certify_bulk(*, proofs: list[_Proof], tally: Tally) -> None:
    """Active people: one bulk certification, one insert of decisions and of their audit events."""
    certified = certification_record_bulk(
        proofs=[
            BulkProof(
                pensioner_id=proof.pensioner_id,
                certified_at=_certified_at(proof.trigger.event_date),
                evidence_ref=f"silent:{proof.trigger.source.key}:{proof.trigger.record_id}"[:200],
            )
            for proof in proofs
        ],
        method=Certification.Method.SILENT,
    )
    done = [proof for proof in proofs if proof.pensioner_id in certified]
    if not done:
        return
    now = timezone.now()
    decisions = [
        Decision(
            round_id=tally.report.pk,
            pensioner_id=proof.pensioner_id,
            outcome=proof.outcome,
            trigger_id=proof.trigger.pk,
            evidence_ids=[event.pk for event in proof.used],
            certification_id=certified[proof.pensioner_id].pk,
            created_at=now,
        )
        for proof in done
    ]
    bulk_insert(Decision, decisions)
    for outcome in (Outcome.CERTIFIED_STRONG, Outcome.CERTIFIED_WEAK):
        audit_record_bulk_refs(
            action=f"silent.{outcome}",
            target_type=Decision._meta.label_lower,
            entries=[
                (
                    decision.pk,
                    decision.pensioner_id,
                    {
                        "source": proof.trigger.source.key,
                        "record_id": proof.trigger.record_id,
                        "event_date": proof.trigger.event_date.isoformat(),
                        "evidence": decision.evidence_ids,
                        "case": None,
                        "certification": decision.certification_id,
                        "round": tally.report.pk,
                    },
                )
                for decision, proof in zip(decisions, done, strict=True)
                if decision.outcome == outcome
            ],
        )
    for proof in done:
        tally.count(proof.outcome, proof.trigger.source.key)
    tally.certified += len(decisions)


def _certify_one(*, pensioner_id: int, outcome: str, trigger: _Event, used: list[_Event], tally: Tally) -> None:
    person = Pensioner.objects.select_for_update().get(pk=pensioner_id)
    valid_until = add_months(trigger.event_date, settings.CERTIFICATION_VALIDITY_MONTHS)
    if valid_until <= person.next_due or person.deceased_on is not None:
        return  # another proof arrived meanwhile
    noon = timezone.make_aware(datetime.datetime.combine(trigger.event_date, datetime.time(12, 0)))
    evidence = [event.pk for event in used]
    certification = certification_record(
        pensioner=person,
        method=Certification.Method.SILENT,
        recorded_by=None,
        evidence_ref=f"silent:{trigger.source.key}:{trigger.record_id}"[:200],
        certified_at=min(noon, timezone.now()),
    )
    _decide(
        tally=tally,
        pensioner_id=person.pk,
        outcome=outcome,
        trigger=trigger,
        evidence=evidence,
        certification=certification,
    )
    tally.certified += 1
