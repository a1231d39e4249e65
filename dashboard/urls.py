from django.urls import path

from dashboard import apis

app_name = "stats"

ENDPOINTS = [
    ("stats/certification", apis.CertificationStatsApi, "certification"),
    ("stats/certification/monthly", apis.CertificationMonthlyStatsApi, "certification-monthly"),
    ("stats/reports", apis.ReportStatsApi, "reports"),
    ("stats/cases", apis.CaseStatsApi, "cases"),
    ("stats/facecheck", apis.FaceStatsApi, "facecheck"),
    ("stats/facecheck/reasons", apis.FaceReasonStatsApi, "facecheck-reasons"),
]

urlpatterns = [path(route, view.as_view(), name=name) for route, view, name in ENDPOINTS] + [
    path(f"{route}.csv", view.as_view(), {"format": "csv"}, name=f"{name}-csv") for route, view, name in ENDPOINTS
]
