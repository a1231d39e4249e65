"""``/staff/dashboard/``: the figures as a page for staff (the admin's session login), scoped by
their region. Server-rendered HTML and SVG, no script: every number is printed beside its bar, each
table links to its CSV, and every asset comes from this origin (no CDN)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from accounts.auth import request_user
from accounts.models import Region
from backend.api.errors import NotFoundError
from casework.selectors import reporting_period_now
from dashboard import selectors

METHOD_LABELS = {
    "silent": _("silent (data comparison)"),
    "face": _("face, by the person"),
    "proxy_face": _("face, by a relative"),
    "onsite": _("on-site"),
    "counter": _("at the counter"),
}
OUTCOME_LABELS = {
    "accepted": _("accepted"),
    "review": _("sent to review"),
    "rejected": _("rejected"),
    "refused": _("photo unusable"),
    "limited": _("daily limit reached"),
}
REPORT_STATE_LABELS = {
    "on_time": _("on time"),
    "late": _("late"),
    "missing": _("missing"),
    "not_due": _("not yet due"),
}


class DashboardForm(forms.Form):
    region = forms.RegexField(regex=r"^[0-9]{12}$", required=False)
    since = forms.DateField(required=False, label=_("Certified since"))
    period = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False, label=_("Report month"))

    def clean_since(self) -> datetime.date | None:
        since = self.cleaned_data.get("since")
        if since and since > timezone.localdate():
            raise forms.ValidationError(_("The period cannot start in the future."))
        return since


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def _trend(months: list[selectors.MonthRow]) -> dict[str, Any]:
    """The trend line's geometry in a 600 × 220 box: points, axis labels, the highest value."""
    width, height, left, bottom, top = 600, 220, 40, 190, 20
    highest = max((m.total for m in months), default=0) or 1
    step = (width - left - 20) / max(len(months) - 1, 1)
    points = []
    for n, month in enumerate(months):
        x = round(left + n * step, 1)
        y = round(bottom - (bottom - top) * month.total / highest, 1)
        points.append({"x": x, "y": y, "month": month.month, "total": month.total})
    return {
        "width": width,
        "height": height,
        "left": left,
        "bottom": bottom,
        "top": top,
        "highest": highest,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
    }


@require_GET
@staff_member_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    form = DashboardForm(request.GET or None)
    choices = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    since = selectors.period_start(choices.get("since") or selectors.default_since(today))
    period_text = choices.get("period")
    period = (
        datetime.date(int(period_text[:4]), int(period_text[5:]), 1) if period_text else reporting_period_now(today)
    )
    actor = request_user(request)
    try:
        area = selectors.dashboard_area(actor=actor, region_code=choices.get("region"))
    except NotFoundError:
        raise Http404 from None
    as_of = selectors.figures_as_of()
    certification = selectors.certification_by_region(actor=actor, area=area, since=since, today=today)
    months = selectors.certifications_by_month(actor=actor, area=area, months=12, today=today)
    reports = selectors.report_compliance(actor=actor, area=area, period=period, today=today)
    cases = selectors.open_cases(actor=actor, area=area, today=today)
    face = selectors.face_outcomes(actor=actor, area=area, since=since)

    total = certification.total
    methods = [
        {
            "key": key,
            "label": label,
            "count": getattr(total, key),
            "percent": _percent(getattr(total, key), total.certified),
        }
        for key, label in METHOD_LABELS.items()
    ]
    most_cases = max((row.total for row in cases), default=0)
    most_reasons = max((row.count for row in face.reasons), default=0)
    outcomes = [
        {"key": key, "label": OUTCOME_LABELS[key], "count": count, "rate": rate}
        for key, count, rate in (
            ("accepted", face.accepted, face.accept_rate),
            ("review", face.review, face.review_rate),
            ("rejected", face.rejected, face.reject_rate),
        )
    ]
    query = {"region": area.code} if area.code and area.region != _own_region(request) else {}
    csv_query = urlencode({**query, "since": since.isoformat()})
    context = {
        "area": area,
        "drillable": area.region is None or area.region.level < Region.Level.VILLAGE,
        "form": form,
        "since": since,
        "today": today,
        "as_of": timezone.localtime(as_of) if as_of else None,
        "as_of_today": as_of is not None and timezone.localdate(as_of) == today,
        "period": period,
        "certification": certification,
        "methods": methods,
        "trend": _trend(months),
        "months": months,
        "reports": reports,
        "report_rows": [
            {
                "row": row,
                "on_time": _percent(row.on_time, row.villages),
                "late": _percent(row.late, row.villages),
                "missing": _percent(row.missing, row.villages),
                "state_label": REPORT_STATE_LABELS.get(row.state, ""),
            }
            for row in reports.rows
        ],
        "cases": [{"row": row, "width": _percent(row.total, most_cases)} for row in cases],
        "cases_total": sum(row.total for row in cases),
        "face": face,
        "outcomes": outcomes,
        "reasons": [{"row": row, "width": _percent(row.count, most_reasons)} for row in face.reasons],
        "csv": {
            "certification": f"/api/v1/stats/certification.csv?{csv_query}",
            "monthly": f"/api/v1/stats/certification/monthly.csv?{urlencode(query)}",
            "reports": f"/api/v1/stats/reports.csv?{urlencode({**query, 'period': period.strftime('%Y-%m')})}",
            "cases": f"/api/v1/stats/cases.csv?{urlencode(query)}",
            "facecheck": f"/api/v1/stats/facecheck.csv?{csv_query}",
            "reasons": f"/api/v1/stats/facecheck/reasons.csv?{csv_query}",
        },
        "period_value": period.strftime("%Y-%m"),
    }
    response = render(request, "dashboard/page.html", context)
    # Everything from this origin, no script at all: the policy makes both a rule the browser enforces.
    response["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'"
    )
    response["Cache-Control"] = "no-store"  # figures of people: never kept by a shared cache
    return response


def _own_region(request: HttpRequest) -> Region | None:
    actor = request_user(request)
    return actor.region if actor.region_id else None


app_name = "dashboard"
urlpatterns = [path("", dashboard_page, name="page")]
