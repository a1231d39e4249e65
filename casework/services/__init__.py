"""Casework writes, one module per sub-domain. Every state change locks the rows it depends on,
checks the rules (``casework.rules``, not views or the admin) and appends to the audit log in the
same transaction.

The names other apps and tests import are re-exported here; inside casework, import from the
sub-module itself.
"""

from casework.rules import MONEY, month_add, month_start, monthly_report_due_on, months_from, pay_date_for
from casework.selectors import death_overpayment_figures, held_periods_unpaid, resumption_checks
from casework.services.approval import (
    case_accept,
    case_approve,
    case_assign,
    case_close,
    case_reject,
    case_review_guard,
    case_step_guard,
)
from casework.services.cases import case_note_add, case_open
from casework.services.death_reports import death_report_submit
from casework.services.evidence import evidence_resolve, evidence_upload
from casework.services.ledger import ledger_run_month, overpayment_recovery_record, payee_account_set
from casework.services.monthly_reports import monthly_report_amend, monthly_report_submit
from casework.services.resumption import resumption_case_for_certification

__all__ = [
    "MONEY",
    "case_accept",
    "case_approve",
    "case_assign",
    "case_close",
    "case_note_add",
    "case_open",
    "case_reject",
    "case_review_guard",
    "case_step_guard",
    "death_overpayment_figures",
    "death_report_submit",
    "evidence_resolve",
    "evidence_upload",
    "held_periods_unpaid",
    "ledger_run_month",
    "month_add",
    "month_start",
    "monthly_report_amend",
    "monthly_report_due_on",
    "monthly_report_submit",
    "months_from",
    "overpayment_recovery_record",
    "pay_date_for",
    "payee_account_set",
    "resumption_case_for_certification",
    "resumption_checks",
]
