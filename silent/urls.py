from django.urls import path

from silent import apis

app_name = "silent"
urlpatterns = [
    path("evidence/batches", apis.EvidenceBatchApi.as_view(), name="evidence-batches"),
    path("silent/safety-net", apis.SafetyNetApi.as_view(), name="safety-net"),
    path("silent/pensioners/<int:pensioner_id>", apis.PensionerEvidenceApi.as_view(), name="pensioner-evidence"),
    path("silent/rounds", apis.RoundReportListApi.as_view(), name="rounds"),
]
