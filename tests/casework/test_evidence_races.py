"""Uploads under parallel load (PostgreSQL): the per-user daily quota holds, and the orphan purge and a
report attaching the same upload at the same moment never leave a link to a deleted file."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

from django.db import connection
from django.utils import timezone

from casework.models import CaseNote, EvidenceFile
from casework.retention import evidence_orphans_purge
from casework.services import case_note_add
from tests.casework.factories import CaseFactory, caseworker, evidence_for, jpeg_bytes, upload
from tests.concurrency import POSTGRES_ONLY, run_together
from tests.factories import UserFactory

pytestmark = POSTGRES_ONLY

WAIT = 15  # seconds: a step that should happen at once but is given time on a loaded machine


# --- daily quota ---------------------------------------------------------------------------------


def test_parallel_uploads_never_exceed_the_daily_file_count(settings):
    from casework.services import evidence_upload

    settings.CASEWORK_EVIDENCE_DAILY_MAX_FILES = 3
    user = UserFactory()
    files = [jpeg_bytes((20 + n, 20)) for n in range(12)]  # distinct bytes: none is a repeat
    outcomes = run_together(
        *[lambda content=content: evidence_upload(uploaded_by=user, upload=upload(content)).pk for content in files]
    )
    kinds = sorted(kind for kind, _value in outcomes)
    assert all(kind in ("ok", "refused") for kind in kinds), outcomes
    assert kinds.count("ok") == 3, outcomes
    assert {value for kind, value in outcomes if kind == "refused"} == {"evidence_quota_exceeded"}
    assert EvidenceFile.objects.filter(uploaded_by=user).count() == 3


def test_parallel_uploads_never_exceed_the_daily_bytes(settings):
    from casework.services import evidence_upload

    user = UserFactory()
    files = [jpeg_bytes((40 + n, 40)) for n in range(10)]
    settings.CASEWORK_EVIDENCE_DAILY_MAX_BYTES = sum(sorted(len(f) for f in files)[:2])  # room for about two
    run_together(
        *[lambda content=content: evidence_upload(uploaded_by=user, upload=upload(content)) for content in files]
    )
    used = sum(EvidenceFile.objects.filter(uploaded_by=user).values_list("size", flat=True))
    assert 0 < used <= settings.CASEWORK_EVIDENCE_DAILY_MAX_BYTES


# --- orphan purge against an attachment ------------------------------------------------------------


def _orphan_candidate(settings, user) -> EvidenceFile:  # type: ignore[no-untyped-def]
    """An upload old enough for the purge, not attached yet."""
    settings.CASEWORK_EVIDENCE_ORPHAN_HOURS = 24
    evidence = evidence_for(user)
    EvidenceFile.objects.filter(pk=evidence.pk).update(created_at=timezone.now() - datetime.timedelta(hours=30))
    return evidence


def _in_thread(call: Callable[[], Any], outcome: dict[str, Any], key: str) -> threading.Thread:
    def run() -> None:
        try:
            outcome[key] = ("ok", call())
        except Exception as exc:  # the outcome is the assertion
            outcome[key] = ("error", getattr(exc, "code", "") or repr(exc))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _pausing(module: str, reached: threading.Event, release: threading.Event):  # type: ignore[no-untyped-def]
    """Patch ``module.audit_record`` (called inside the transaction, after the rows are written) so that
    the transaction stops there, uncommitted, until ``release``."""
    import importlib

    original = importlib.import_module(module).audit_record

    def paused(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        reached.set()
        release.wait(WAIT)
        return result

    return mock.patch(f"{module}.audit_record", paused)


def test_an_upload_being_attached_is_not_purged(settings):
    """The attachment has linked the upload and not committed yet when the purge runs."""
    worker = caseworker()
    case = CaseFactory()
    evidence = _orphan_candidate(settings, worker)
    reached, release, outcome = threading.Event(), threading.Event(), {}
    with _pausing("casework.services.cases", reached, release):
        attach = _in_thread(
            lambda: case_note_add(case=case, actor=worker, text="上门核实", evidence_ids=[evidence.pk]).pk,
            outcome,
            "attach",
        )
        assert reached.wait(WAIT)
        purge = _in_thread(evidence_orphans_purge, outcome, "purge")
        purge.join(WAIT)
        release.set()
        attach.join(WAIT)
    assert outcome["purge"] == ("ok", 0), outcome
    assert outcome["attach"][0] == "ok", outcome
    assert EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert list(case.evidence.values_list("pk", flat=True)) == [evidence.pk]


def test_an_upload_being_purged_is_refused_cleanly_to_the_attachment(settings):
    """The purge has locked and deleted the upload and not committed yet when the attachment arrives:
    it waits, finds the file gone and asks for a new upload (a 400 code, never a broken link or a 500)."""
    worker = caseworker()
    case = CaseFactory()
    evidence = _orphan_candidate(settings, worker)
    reached, release, outcome = threading.Event(), threading.Event(), {}
    with _pausing("casework.retention", reached, release):
        purge = _in_thread(evidence_orphans_purge, outcome, "purge")
        assert reached.wait(WAIT)
        attach = _in_thread(
            lambda: case_note_add(case=case, actor=worker, text="上门核实", evidence_ids=[evidence.pk]).pk,
            outcome,
            "attach",
        )
        attach.join(1)  # it must be waiting for the purge's lock, not done
        release.set()
        purge.join(WAIT)
        attach.join(WAIT)
    assert outcome["purge"] == ("ok", 1), outcome
    assert outcome["attach"] == ("error", "evidence_not_found"), outcome
    assert not EvidenceFile.objects.filter(pk=evidence.pk).exists()
    assert not CaseNote.objects.filter(case=case).exists()
