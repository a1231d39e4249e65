from django.urls import path

from casework import apis
from casework.apis import safety_net

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
    path("onsite-certifications", safety_net.OnsiteCertificationCreateApi.as_view(), name="onsite-certifications"),
    path("onsite-certifications/<int:proof_id>", safety_net.ProofDetailApi.as_view(), name="onsite-certification"),
    path("life-certificates", safety_net.LifeCertificateCreateApi.as_view(), name="life-certificates"),
    path("life-certificates/<int:proof_id>", safety_net.ProofDetailApi.as_view(), name="life-certificate"),
    path("visits", safety_net.VisitListApi.as_view(), name="visits"),
    path("visits/<int:task_id>", safety_net.VisitDetailApi.as_view(), name="visit"),
    path("visits/<int:task_id>/outcome", safety_net.VisitOutcomeApi.as_view(), name="visit-outcome"),
    path("suspect-lists", safety_net.SuspectListListApi.as_view(), name="suspect-lists"),
    path("suspect-lists/<int:list_id>", safety_net.SuspectListDetailApi.as_view(), name="suspect-list"),
    path(
        "suspect-lists/<int:list_id>/entries/<int:entry_id>/answer",
        safety_net.SuspectEntryAnswerApi.as_view(),
        name="suspect-list-answer",
    ),
]
