"""casework's models, one module per sub-domain; everything is re-exported here (same app label)."""

from .cases import OPEN_STATUSES, Case, CaseNote, DeathReport
from .evidence import EvidenceFile, evidence_upload_to
from .payments import Overpayment, OverpaymentRecovery, PayeeAccount, PaymentLedger
from .reports import MonthlyReport, MonthlyReportItem
from .safety_net import ProofOfLife, SuspectList, SuspectListEntry, VisitTask

__all__ = [
    "OPEN_STATUSES",
    "Case",
    "CaseNote",
    "DeathReport",
    "EvidenceFile",
    "MonthlyReport",
    "MonthlyReportItem",
    "Overpayment",
    "OverpaymentRecovery",
    "PayeeAccount",
    "PaymentLedger",
    "ProofOfLife",
    "SuspectList",
    "SuspectListEntry",
    "VisitTask",
    "evidence_upload_to",
]
