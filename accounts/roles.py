"""Roles are Django groups; these names are the contract between code, migrations and admin."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PENSIONER = "pensioner"
    RELATIVE = "relative"
    VILLAGE_ASSISTANT = "village_assistant"
    # 社会化服务人员: community grid workers and social-service staff, scoped to their assigned
    # villages/communities (VillageAssignment) like village assistants; they visit and certify on site.
    GRID_WORKER = "grid_worker"
    CASEWORKER = "caseworker"
    REVIEWER = "reviewer"
    ADMIN = "admin"


STAFF_ROLES = frozenset({Role.CASEWORKER, Role.REVIEWER, Role.ADMIN})

# Model permissions each role's group receives (app_label.codename). Apps that add models
# extend this through their own data migrations.
# What every back-office role may look at (each in its own region subtree).
_STAFF_VIEW: tuple[str, ...] = (
    "accounts.view_pensioner",
    "accounts.view_relativelink",
    "selfservice.view_certification",
    "casework.view_case",
    "casework.view_deathreport",
    "casework.view_monthlyreport",
    "casework.view_evidencefile",
    "casework.view_paymentledger",
    "casework.view_overpayment",
    "casework.view_payeeaccount",
    "casework.view_proofoflife",
    "casework.view_visittask",
    "casework.view_suspectlist",
    "facecheck.view_facetemplate",
    "facecheck.view_faceattempt",
    "facecheck.view_duplicatefinding",
)

ROLE_PERMISSIONS: dict[Role, tuple[str, ...]] = {
    Role.PENSIONER: (),
    Role.RELATIVE: (),
    # Both record on-site certifications (confirmed by two staff before they count).
    Role.VILLAGE_ASSISTANT: ("accounts.record_certification",),
    Role.GRID_WORKER: ("accounts.record_certification",),
    Role.CASEWORKER: (
        *_STAFF_VIEW,
        "accounts.change_relativelink",
        "accounts.record_certification",
        "chatbot.view_callbackrequest",
        "chatbot.change_callbackrequest",
        "facecheck.add_facetemplate",
    ),
    Role.REVIEWER: _STAFF_VIEW,
    Role.ADMIN: (
        "accounts.view_pensioner",
        "accounts.add_pensioner",
        "accounts.change_pensioner",
        "accounts.set_benefit_amount",
        "accounts.view_region",
        "accounts.add_region",
        "accounts.change_region",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_relativelink",
        "accounts.change_relativelink",
        "accounts.view_auditevent",
        "selfservice.view_certification",
        "casework.view_case",
        "casework.view_deathreport",
        "casework.view_monthlyreport",
        "casework.view_paymentledger",
        "casework.view_overpayment",
        "casework.view_payeeaccount",
        "casework.change_payeeaccount",
        "chatbot.view_callbackrequest",
        "chatbot.change_callbackrequest",
        "facecheck.view_facetemplate",
        "facecheck.view_faceattempt",
        "facecheck.view_duplicatefinding",
    ),
}
