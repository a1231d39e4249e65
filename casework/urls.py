from django.urls import path

from casework import apis

app_name = "casework"
urlpatterns = [
    path("evidence", apis.EvidenceUploadApi.as_view(), name="evidence-upload"),
    path("evidence/<int:evidence_id>", apis.EvidenceDownloadApi.as_view(), name="evidence-download"),
    path("death-reports", apis.DeathReportListCreateApi.as_view(), name="death-reports"),
    path("death-reports/<int:report_id>", apis.DeathReportDetailApi.as_view(), name="death-report"),
    path("assistant/villages", apis.AssistantVillageListApi.as_view(), name="assistant-villages"),
    path("assistant/pensioners", apis.AssistantPensionerListApi.as_view(), name="assistant-pensioners"),
    path("monthly-reports", apis.MonthlyReportListCreateApi.as_view(), name="monthly-reports"),
    path("monthly-reports/status", apis.MonthlyReportStatusApi.as_view(), name="monthly-report-status"),
    path("monthly-reports/<int:report_id>", apis.MonthlyReportDetailApi.as_view(), name="monthly-report"),
    path("monthly-reports/<int:report_id>/amend", apis.MonthlyReportAmendApi.as_view(), name="monthly-report-amend"),
    path("cases", apis.CaseListApi.as_view(), name="cases"),
    path("cases/<int:case_id>", apis.CaseDetailApi.as_view(), name="case"),
    path("cases/<int:case_id>/assign", apis.CaseAssignApi.as_view(), name="case-assign"),
    path("cases/<int:case_id>/accept", apis.CaseAcceptApi.as_view(), name="case-accept"),
    path("cases/<int:case_id>/approve", apis.CaseApproveApi.as_view(), name="case-approve"),
    path("cases/<int:case_id>/reject", apis.CaseRejectApi.as_view(), name="case-reject"),
    path("cases/<int:case_id>/close", apis.CaseCloseApi.as_view(), name="case-close"),
    path("cases/<int:case_id>/notes", apis.CaseNoteCreateApi.as_view(), name="case-notes"),
    path("pensioners/<int:pensioner_id>/payments", apis.PaymentListApi.as_view(), name="payments"),
    path("overpayments", apis.OverpaymentListApi.as_view(), name="overpayments"),
    path(
        "overpayments/<int:overpayment_id>/recoveries",
        apis.OverpaymentRecoveryCreateApi.as_view(),
        name="overpayment-recoveries",
    ),
]
