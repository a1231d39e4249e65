"""Casework API: thin views over casework.services (writes) and casework.selectors (reads), one
module per sub-domain. ``casework.urls`` routes to the views named here."""

from casework.apis.cases import (
    CaseAcceptApi,
    CaseApproveApi,
    CaseAssignApi,
    CaseCloseApi,
    CaseDetailApi,
    CaseListApi,
    CaseNoteCreateApi,
    CaseRejectApi,
)
from casework.apis.death_reports import DeathReportDetailApi, DeathReportListCreateApi
from casework.apis.evidence import EvidenceDownloadApi, EvidenceUploadApi
from casework.apis.money import OverpaymentListApi, OverpaymentRecoveryCreateApi, PaymentListApi
from casework.apis.monthly_reports import (
    AssistantPensionerListApi,
    AssistantVillageListApi,
    MonthlyReportAmendApi,
    MonthlyReportDetailApi,
    MonthlyReportListCreateApi,
    MonthlyReportStatusApi,
)

__all__ = [
    "AssistantPensionerListApi",
    "AssistantVillageListApi",
    "CaseAcceptApi",
    "CaseApproveApi",
    "CaseAssignApi",
    "CaseCloseApi",
    "CaseDetailApi",
    "CaseListApi",
    "CaseNoteCreateApi",
    "CaseRejectApi",
    "DeathReportDetailApi",
    "DeathReportListCreateApi",
    "EvidenceDownloadApi",
    "EvidenceUploadApi",
    "MonthlyReportAmendApi",
    "MonthlyReportDetailApi",
    "MonthlyReportListCreateApi",
    "MonthlyReportStatusApi",
    "OverpaymentListApi",
    "OverpaymentRecoveryCreateApi",
    "PaymentListApi",
]
