"""The dashboard's figures. Every one is scoped to the staff member's region subtree
(``Capability.CASEWORK``) and to the region being looked at (a division-code prefix).

Two ways to the same figures (docs/dashboard.md):
- ``*_live`` functions count the live tables in one or two grouped queries: exact to the moment,
  but a join through every pensioner of the area (seconds for a province of millions);
- the served functions (same names without ``_live``) sum the summary tables of ``dashboard.models``
  as of their last refresh (``figures_as_of``), a few hundred thousand rows at most. Before the
  first refresh they answer live. Periods start on the first of a month (``since`` is rounded
  down), the grain of the summaries, so both ways give equal figures (tests hold them equal).
Report compliance has no summary: its live query is already fast (two grouped queries).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.conf import settings
from django.db.models import Count, Model, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Pensioner, Region, User
from accounts.selectors import Capability, region_scope_q, scoped, user_is_staff_member
from backend.api.errors import NotFoundError
from casework.models import OPEN_STATUSES, Case, MonthlyReport
from casework.rules import month_add, month_start, monthly_report_due_on
from casework.selectors import ReportState
from dashboard.models import (
    CertificationMonthSummary,
    FaceAttemptSummary,
    LatestCertificationSummary,
    OpenCaseSummary,
    SummaryRefresh,
)
from facecheck.models import FaceAttempt
from selfservice.models import Certification

METHODS: tuple[str, ...] = tuple(Certification.Method.values)

# --- The area looked at ------------------------------------------------------------------------

_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class Area:
    """The region a dashboard looks at; ``region`` None is the whole country (a superuser only).

    Its children are the next level of the region tree (province → city → county → township →
    village); a pensioner belongs to the child whose code prefix their village's code starts with.
    """

    region: Region | None
    child_length: int  # significant digits of a child's code
    children: dict[str, Region]  # child prefix -> child
    trail: list[Region] = field(default_factory=list)  # from the actor's own region down to this one

    @property
    def prefix(self) -> str:
        return self.region.prefix if self.region else ""

    @property
    def code(self) -> str:
        return self.region.code if self.region else ""

    def child_of(self, code: str) -> str:
        return code[: self.child_length]


def _staff_root(actor: User) -> Region | None:
    """The actor's own region; 404 for anyone who is not back-office staff with a region."""
    if not user_is_staff_member(actor) or (actor.region_id is None and not actor.is_superuser):
        raise NotFoundError()
    return actor.region if actor.region_id is not None else None


def dashboard_area(*, actor: User, region_code: str | None = None) -> Area:
    """The area for ``region_code`` (default: the actor's own region); 404 outside the actor's scope."""
    root = _staff_root(actor)
    if region_code:
        region = (
            Region.objects.filter(region_scope_q(actor=actor, capability=Capability.CASEWORK))
            .filter(code=region_code)
            .first()
        )
        if region is None:
            raise NotFoundError()
    else:
        region = root
    if region is None:
        children = Region.objects.filter(level=Region.Level.PROVINCE)
        child_length = Region.PREFIX_LENGTH[Region.Level.PROVINCE]
    elif region.level == Region.Level.VILLAGE:
        children = Region.objects.filter(pk=region.pk)
        child_length = Region.PREFIX_LENGTH[Region.Level.VILLAGE]
    else:
        children = Region.objects.filter(parent=region)
        child_length = Region.PREFIX_LENGTH[region.level + 1]
    trail: list[Region] = []
    node = region
    while node is not None:
        trail.append(node)
        if root is not None and node.pk == root.pk:
            break
        node = node.parent
    return Area(
        region=region,
        child_length=child_length,
        children={child.code[:child_length]: child for child in children.order_by("code")},
        trail=list(reversed(trail)),
    )


def _rows_by(grouped: Iterable[Mapping[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    """Grouped ``values()`` rows keyed by their group column (the column itself left out)."""
    return {str(row[key]): {name: value for name, value in row.items() if name != key} for row in grouped}


def _local_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _in_area(queryset: QuerySet[_M], *, actor: User, area: Area, path: str) -> QuerySet[_M]:
    """Scoped for case work, then narrowed to the area (``path`` leads to the Pensioner)."""
    queryset = scoped(queryset, actor=actor, capability=Capability.CASEWORK, path=path)
    if area.prefix:
        field = f"{path}__region__code__startswith" if path else "region__code__startswith"
        queryset = queryset.filter(**{field: area.prefix})
    return queryset


def _summary_in_area(queryset: QuerySet[_M], *, actor: User, area: Area) -> QuerySet[_M]:
    """Summary rows (one region each) scoped for case work and narrowed to the area: the same
    people as ``_in_area`` on the live tables (case work reaches staff's region subtree only)."""
    queryset = queryset.filter(region_scope_q(actor=actor, capability=Capability.CASEWORK, path="region"))
    if area.prefix:
        queryset = queryset.filter(region__code__startswith=area.prefix)
    return queryset


def _yyyymm(day: datetime.date) -> int:
    """A month as the summaries store it."""
    return day.year * 100 + day.month


def _zeros(found: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``Sum`` over no row is None; a count of nothing is 0."""
    return {key: {name: value or 0 for name, value in row.items()} for key, row in found.items()}


def summary_state() -> SummaryRefresh | None:
    """The last refresh of the summary tables; None before the first (figures are then live)."""
    return SummaryRefresh.objects.filter(pk=1).first()


def figures_as_of() -> datetime.datetime | None:
    """When the served figures were counted; None when they are live."""
    state = summary_state()
    return state.refreshed_at if state else None


def period_start(since: datetime.date) -> datetime.date:
    """A period's start as the dashboard counts it: the first of ``since``'s month."""
    return month_start(since)


def default_since(today: datetime.date | None = None) -> datetime.date:
    """The default period: from the first of the month a year back (a whole certification cycle)."""
    return period_start(month_add(today or timezone.localdate(), -12))


@dataclass
class RegionRow:
    """One child region's line; ``name`` is the code itself for pensioners outside every child."""

    code: str
    name: str
    level: int | None

    @classmethod
    def of(cls, area: Area, prefix: str) -> RegionRow:
        child = area.children.get(prefix)
        if child is None:
            return cls(code=prefix.ljust(12, "0"), name=prefix, level=None)
        return cls(code=child.code, name=child.name, level=child.level)


# --- Certification by region and method; due soon, overdue, suspended -------------------------


@dataclass
class CertificationRow(RegionRow):
    population: int = 0  # not terminated: everyone who has to certify
    certified: int = 0  # of them, certified since the period's start
    silent: int = 0
    face: int = 0
    proxy_face: int = 0
    onsite: int = 0
    counter: int = 0
    due_soon: int = 0
    overdue: int = 0
    suspended: int = 0

    @property
    def rate(self) -> float | None:
        """Certified share of the population, in percent (None when nobody lives there)."""
        return round(100 * self.certified / self.population, 1) if self.population else None

    def add(self, other: CertificationRow) -> None:
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNT_FIELDS = ("population", "certified", *METHODS, "due_soon", "overdue", "suspended")


@dataclass
class CertificationTable:
    since: datetime.date
    today: datetime.date
    rows: list[CertificationRow]
    total: CertificationRow


def _certification_table(
    area: Area, found: dict[str, dict[str, Any]], since: datetime.date, today: datetime.date
) -> CertificationTable:
    rows = []
    for prefix in sorted(set(area.children) | set(found)):
        row = CertificationRow(**vars(RegionRow.of(area, prefix)), **found.get(prefix, {}))
        rows.append(row)
    total = CertificationRow(code=area.code, name=area.region.name if area.region else "", level=None)
    for row in rows:
        total.add(row)
    return CertificationTable(since=since, today=today, rows=rows, total=total)


def certification_by_region_live(
    *, actor: User, area: Area, since: datetime.date, today: datetime.date | None = None
) -> CertificationTable:
    """Per child region: who has to certify, who did since ``since`` (by the method of their latest
    certification), and who is due soon, overdue or suspended today.

    "Certified since" reads the person's latest certification (``Pensioner.last_certification``), so
    the period always runs up to today and one person counts once, whatever their history length.
    One grouped query over the pensioners of the area.
    """
    today = today or timezone.localdate()
    status = Pensioner.BenefitStatus
    certified = Q(last_certification__certified_at__gte=_local_start(since))
    due_soon_until = today + datetime.timedelta(days=settings.CERTIFICATION_DUE_SOON_DAYS)
    queryset = _in_area(Pensioner.objects.all(), actor=actor, area=area, path="").exclude(
        benefit_status=status.TERMINATED
    )
    grouped = (
        queryset.order_by()
        .annotate(child=Substr("region__code", 1, area.child_length))
        .values("child")
        .annotate(
            population=Count("pk"),
            certified=Count("pk", filter=certified),
            **{m: Count("pk", filter=certified & Q(last_certification__method=m)) for m in METHODS},
            due_soon=Count(
                "pk", filter=Q(benefit_status=status.ACTIVE, next_due__gte=today, next_due__lte=due_soon_until)
            ),
            overdue=Count("pk", filter=Q(benefit_status=status.ACTIVE, next_due__lt=today)),
            suspended=Count("pk", filter=Q(benefit_status=status.SUSPENDED)),
        )
    )
    return _certification_table(area, _rows_by(grouped, "child"), since, today)


def certification_by_region(
    *, actor: User, area: Area, since: datetime.date, today: datetime.date | None = None
) -> CertificationTable:
    """``certification_by_region_live``'s figures for the period from the first of ``since``'s
    month, from the summary tables as of their last refresh (due soon and overdue are the states
    of the refresh's day, which the table's ``today`` then says)."""
    since = period_start(since)
    state = summary_state()
    if state is None:
        return certification_by_region_live(actor=actor, area=area, since=since, today=today)
    certified = Q(month__gte=_yyyymm(since))
    grouped = (
        _summary_in_area(LatestCertificationSummary.objects.all(), actor=actor, area=area)
        .order_by()
        .annotate(child=Substr("region__code", 1, area.child_length))
        .values("child")
        .annotate(
            population=Sum("people"),
            certified=Sum("people", filter=certified),
            **{m: Sum("people", filter=certified & Q(method=m)) for m in METHODS},
            due_soon=Sum("due_soon"),
            overdue=Sum("overdue"),
            suspended=Sum("people", filter=Q(benefit_status=Pensioner.BenefitStatus.SUSPENDED)),
        )
    )
    return _certification_table(area, _zeros(_rows_by(grouped, "child")), since, state.today)


@dataclass
class MonthRow:
    month: datetime.date
    total: int = 0
    silent: int = 0
    face: int = 0
    proxy_face: int = 0
    onsite: int = 0
    counter: int = 0


def _month_rows(first: datetime.date, months: int, counts: Iterable[tuple[datetime.date, str, int]]) -> list[MonthRow]:
    rows = {month_add(first, n): MonthRow(month=month_add(first, n)) for n in range(months)}
    for month, method, n in counts:
        row = rows.get(month)
        if row is None:  # certified in the future: not a trend
            continue
        setattr(row, method, getattr(row, method) + n)
        row.total += n
    return list(rows.values())


def certifications_by_month_live(
    *, actor: User, area: Area, months: int = 12, today: datetime.date | None = None
) -> list[MonthRow]:
    """Certifications recorded per calendar month (every one, by method), the last ``months`` months
    up to this one: the trend line."""
    today = today or timezone.localdate()
    first = month_add(today, -(months - 1))
    queryset = _in_area(Certification.objects.all(), actor=actor, area=area, path="pensioner").filter(
        certified_at__gte=_local_start(first)
    )
    grouped = (
        queryset.order_by().annotate(month=TruncMonth("certified_at")).values("month", "method").annotate(n=Count("pk"))
    )
    counts = []
    for item in grouped:
        month = item["month"]
        month = month_start(month.date() if isinstance(month, datetime.datetime) else month)
        counts.append((month, str(item["method"]), int(item["n"])))
    return _month_rows(first, months, counts)


def certifications_by_month(
    *, actor: User, area: Area, months: int = 12, today: datetime.date | None = None
) -> list[MonthRow]:
    """``certifications_by_month_live``'s figures from the summary tables as of their last refresh."""
    if summary_state() is None:
        return certifications_by_month_live(actor=actor, area=area, months=months, today=today)
    first = month_add(today or timezone.localdate(), -(months - 1))
    grouped = (
        _summary_in_area(CertificationMonthSummary.objects.all(), actor=actor, area=area)
        .filter(month__gte=_yyyymm(first))
        .order_by()
        .values_list("month", "method")
        .annotate(n=Sum("certifications"))
    )
    return _month_rows(
        first, months, ((datetime.date(month // 100, month % 100, 1), method, n) for month, method, n in grouped)
    )


# --- Monthly report compliance by village ------------------------------------------------------


@dataclass
class ReportRow(RegionRow):
    villages: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    not_due: int = 0
    zero: int = 0  # of those filed, zero reports ("nothing happened")
    state: str = ""  # a village's own state, when the rows are villages

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.villages, 1) if self.villages else None


@dataclass
class ReportTable:
    period: datetime.date
    due_on: datetime.date
    rows: list[ReportRow]
    total: ReportRow


def report_compliance(
    *, actor: User, area: Area, period: datetime.date, today: datetime.date | None = None
) -> ReportTable:
    """Villages per child region whose report for ``period`` came on time, late, not at all (past
    the due date) or not yet, and how many were zero reports.

    The same states as casework's ``monthly_report_status`` (a test holds them equal), counted in
    two grouped queries instead of one object per village: a province has tens of thousands.
    """
    today = today or timezone.localdate()
    period = month_start(period)
    due_on = monthly_report_due_on(period)
    villages = Region.objects.filter(region_scope_q(actor=actor, capability=Capability.CASEWORK)).filter(
        level=Region.Level.VILLAGE
    )
    if area.prefix:
        villages = villages.filter(code__startswith=area.prefix)
    per_child = dict(
        villages.order_by()
        .annotate(child=Substr("code", 1, area.child_length))
        .values_list("child")
        .annotate(n=Count("pk"))
    )
    late = Q(first_submitted_at__gte=_local_start(due_on + datetime.timedelta(days=1)))
    filed = _rows_by(
        MonthlyReport.objects.filter(village__in=villages, period=period, is_current=True)
        .order_by()
        .annotate(child=Substr("village__code", 1, area.child_length))
        .values("child")
        .annotate(filed=Count("pk"), late=Count("pk", filter=late), zero=Count("pk", filter=Q(is_zero=True))),
        "child",
    )
    rows = []
    total = ReportRow(code=area.code, name=area.region.name if area.region else "", level=None)
    for prefix in sorted(per_child):
        counts = filed.get(prefix, {"filed": 0, "late": 0, "zero": 0})
        row = ReportRow(**vars(RegionRow.of(area, prefix)), villages=per_child[prefix])
        row.late, row.zero = counts["late"], counts["zero"]
        row.on_time = counts["filed"] - counts["late"]
        unfiled = row.villages - counts["filed"]
        row.missing, row.not_due = (unfiled, 0) if today > due_on else (0, unfiled)
        if area.child_length == Region.PREFIX_LENGTH[Region.Level.VILLAGE]:
            row.state = next(s.value for s in ReportState if getattr(row, s.value))
        rows.append(row)
        for name in ("villages", *(s.value for s in ReportState), "zero"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return ReportTable(period=period, due_on=due_on, rows=rows, total=total)


# --- Open cases by category and age ------------------------------------------------------------

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("age_0_7", 0, 7),
    ("age_8_30", 8, 30),
    ("age_31_90", 31, 90),
    ("age_over_90", 91, None),
)


@dataclass
class CaseRow:
    category: str
    label: str
    total: int = 0
    age_0_7: int = 0
    age_8_30: int = 0
    age_31_90: int = 0
    age_over_90: int = 0
    past_deadline: int = 0


def _case_rows(found: dict[str, dict[str, Any]]) -> list[CaseRow]:
    return [CaseRow(category=value, label=str(label), **found.get(value, {})) for value, label in Case.Category.choices]


def open_cases_live(*, actor: User, area: Area, today: datetime.date | None = None) -> list[CaseRow]:
    """Open (not yet decided) cases per category, by days since they were opened; every category,
    in the model's order, so the table and its CSV keep one shape."""
    today = today or timezone.localdate()
    queryset = _in_area(Case.objects.all(), actor=actor, area=area, path="pensioner").filter(status__in=OPEN_STATUSES)
    buckets = {}
    for name, low, high in AGE_BUCKETS:
        # Opened on day d is "age (today - d) days"; the bounds are local midnights.
        condition = Q(created_at__lt=_local_start(today - datetime.timedelta(days=low - 1)))
        if high is not None:
            condition &= Q(created_at__gte=_local_start(today - datetime.timedelta(days=high)))
        buckets[name] = Count("pk", filter=condition)
    grouped = (
        queryset.order_by()
        .values("category")
        .annotate(total=Count("pk"), past_deadline=Count("pk", filter=Q(deadline__lt=today)), **buckets)
    )
    return _case_rows(_rows_by(grouped, "category"))


def open_cases(*, actor: User, area: Area, today: datetime.date | None = None) -> list[CaseRow]:
    """``open_cases_live``'s figures from the summary tables as of their last refresh (ages and
    deadlines counted for ``today``: the summary keeps the day each case was opened)."""
    if summary_state() is None:
        return open_cases_live(actor=actor, area=area, today=today)
    today = today or timezone.localdate()
    buckets = {}
    for name, low, high in AGE_BUCKETS:
        condition = Q(opened_on__lt=today - datetime.timedelta(days=low - 1))
        if high is not None:
            condition &= Q(opened_on__gte=today - datetime.timedelta(days=high))
        buckets[name] = Sum("cases", filter=condition)
    grouped = (
        _summary_in_area(OpenCaseSummary.objects.all(), actor=actor, area=area)
        .order_by()
        .values("category")
        .annotate(total=Sum("cases"), past_deadline=Sum("cases", filter=Q(deadline__lt=today)), **buckets)
    )
    return _case_rows(_zeros(_rows_by(grouped, "category")))


# --- Face certification outcomes and refusal reasons -------------------------------------------

#: Short labels for the reason codes face attempts store (facecheck.services and engine.errors).
REASON_LABELS = {
    "": _("not the same person as the photo on file"),
    "grey_zone": _("similarity in the grey zone"),
    "implausibly_similar": _("too similar to the photo on file"),
    "reference_mismatch": _("far from the enrolled photo"),
    "same_bytes": _("an earlier photo sent again"),
    "same_bytes_other_pensioner": _("a photo already used for someone else"),
    "near_identical_photo": _("nearly the same as an earlier photo"),
    "daily_limit": _("daily attempt limit reached"),
    "image_empty": _("empty file"),
    "image_too_big": _("file too large"),
    "image_invalid": _("not a readable photo"),
    "image_truncated": _("damaged photo file"),
    "image_too_many_pixels": _("photo too large"),
    "face_not_found": _("no face found"),
    "face_multiple": _("more than one face"),
    "face_too_small": _("face too small"),
    "face_cut_off": _("face not fully in the photo"),
    "face_too_dark": _("too dark"),
    "face_too_bright": _("too bright or against the light"),
    "face_blurred": _("blurred"),
    "face_pose": _("head turned too far"),
}

REFUSALS = (
    FaceAttempt.Result.REJECTED,
    FaceAttempt.Result.REPLAY,
    FaceAttempt.Result.REFUSED,
    FaceAttempt.Result.LIMITED,
)


@dataclass
class ReasonRow:
    result: str
    reason: str
    label: str
    count: int


@dataclass
class FaceOutcomes:
    since: datetime.date
    submitted: int
    compared: int  # photos compared with the one on file: accepted + review + rejected + replay
    accepted: int
    review: int
    rejected: int  # rejected as another person, or as a replayed photo
    refused: int  # unusable photos (no face, blurred…), never compared
    limited: int  # refused by the daily limit
    reasons: list[ReasonRow]

    def _rate(self, n: int) -> float | None:
        return round(100 * n / self.compared, 1) if self.compared else None

    @property
    def accept_rate(self) -> float | None:
        return self._rate(self.accepted)

    @property
    def review_rate(self) -> float | None:
        return self._rate(self.review)

    @property
    def reject_rate(self) -> float | None:
        return self._rate(self.rejected)


def _face_outcomes(
    since: datetime.date, counts: Mapping[str, int], reasons: Iterable[Mapping[str, Any]]
) -> FaceOutcomes:
    result = FaceAttempt.Result
    return FaceOutcomes(
        since=since,
        submitted=sum(counts.values()),
        compared=sum(counts.get(r, 0) for r in FaceAttempt.COMPARED),
        accepted=counts.get(result.ACCEPTED, 0),
        review=counts.get(result.REVIEW, 0),
        rejected=counts.get(result.REJECTED, 0) + counts.get(result.REPLAY, 0),
        refused=counts.get(result.REFUSED, 0),
        limited=counts.get(result.LIMITED, 0),
        reasons=[
            ReasonRow(
                result=row["result"],
                reason=row["reason"],
                label=str(REASON_LABELS.get(row["reason"], row["reason"])),
                count=row["n"],
            )
            for row in reasons
        ],
    )


def face_outcomes_live(*, actor: User, area: Area, since: datetime.date, top: int = 8) -> FaceOutcomes:
    """Face attempts since ``since``: accept / review / reject shares of the compared photos, and the
    most frequent reasons a photo was turned away (two grouped queries)."""
    queryset = _in_area(FaceAttempt.objects.all(), actor=actor, area=area, path="pensioner").filter(
        created_at__gte=_local_start(since)
    )
    counts = dict(queryset.order_by().values_list("result").annotate(n=Count("pk")))
    reasons = (
        queryset.filter(result__in=REFUSALS)
        .order_by()
        .values("result", "reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "result", "reason")[:top]
    )
    return _face_outcomes(since, counts, reasons)


def face_outcomes(*, actor: User, area: Area, since: datetime.date, top: int = 8) -> FaceOutcomes:
    """``face_outcomes_live``'s figures for the period from the first of ``since``'s month, from the
    summary tables as of their last refresh."""
    since = period_start(since)
    if summary_state() is None:
        return face_outcomes_live(actor=actor, area=area, since=since, top=top)
    queryset = _summary_in_area(FaceAttemptSummary.objects.all(), actor=actor, area=area).filter(
        month__gte=_yyyymm(since)
    )
    counts = dict(queryset.order_by().values_list("result").annotate(n=Sum("attempts")))
    reasons = (
        queryset.filter(result__in=REFUSALS)
        .order_by()
        .values("result", "reason")
        .annotate(n=Sum("attempts"))
        .order_by("-n", "result", "reason")[:top]
    )
    return _face_outcomes(since, counts, reasons)
