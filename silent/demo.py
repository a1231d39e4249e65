"""Demo data of silent certification (discovered by ``manage.py seed_demo``, after selfservice's).

Writes one evidence file per agency source under ``var/demo-evidence/`` (CSV, one JSON Lines),
loads them with the same ingestion as ``evidence_ingest`` and runs the comparison round, so the
demo's silent certifications, grades, holds and cases come from data, not by hand. Files are
written once; a re-run loads them again (all duplicates) and the round changes nothing.

Who gets what (deterministic): most people due within the certification window have a strong
record (vaccination, health code, inpatient settlement) or two weak ones; some have one weak trace
(medium grade) or none (low grade: the safety net's list). One person in each of the due-soon and
overdue groups is always left without data, so the demo keeps every certification state. A few
people get a death, custody or release record, one deceased person has activity after death, and
each file has a few bad rows to show the reject file.
"""

from __future__ import annotations

import datetime
import json
import random
from collections import defaultdict
from pathlib import Path
from typing import Any

from django.conf import settings

from accounts.idnumbers import check_digit
from accounts.models import Pensioner
from silent.models import DataSource, EvidenceEvent, IdNumberMapping
from silent.services.ingest import evidence_ingest_file
from silent.services.rounds import silent_round

STRONG = ["vaccination"] * 6 + ["health_code_scan"] * 3 + ["inpatient_settlement"]


def demo_dir() -> Path:
    return Path(settings.BASE_DIR) / "var" / "demo-evidence"


def seed_demo(*, today: datetime.date, options: dict[str, Any], stdout: Any) -> list[str]:
    folder = demo_dir()
    if not EvidenceEvent.objects.exists() or not any(folder.glob("*.csv")):
        _write_files(folder=folder, today=today)
    loaded = []
    inputs = [p for p in sorted(folder.glob("*.csv")) + sorted(folder.glob("*.jsonl")) if ".rejects." not in p.name]
    for path in inputs:
        source = DataSource.objects.get(key=path.name.split(".")[0])
        batch = evidence_ingest_file(source=source, path=path, today=today)
        loaded.append(f"{source.key}: {batch.accepted}/{batch.rows}")
    report = silent_round(today=today)
    return [
        f"Silent certification: evidence files in {folder} loaded ({', '.join(loaded)}); comparison round: "
        f"certified {report.certified}, holds {report.holds}, suspensions {report.suspensions}, cases {report.cases}. "
        "Reload with: python manage.py evidence_ingest --source vaccination var/demo-evidence/vaccination.csv; "
        "python manage.py silent_round"
    ]


def _write_files(*, folder: Path, today: datetime.date) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rows: dict[str, list[tuple[str, str, str, datetime.date]]] = defaultdict(list)
    window = today + datetime.timedelta(days=settings.SILENT_CERTIFY_WINDOW_DAYS)
    people = list(
        Pensioner.objects.exclude(benefit_status=Pensioner.BenefitStatus.TERMINATED)
        .filter(suspension_reason__in=["", Pensioner.SuspensionReason.OVERDUE])
        .order_by("pk")
        .values_list("pk", "id_number", "name", "next_due", "user_id")
    )
    soon_kept = overdue_kept = False

    def add(key: str, number: str, name: str, day: datetime.date) -> None:
        rows[key].append((f"{key[:3].upper()}{len(rows[key]) + 1:06d}", number, name, day))

    specials = [p for p in people if p[4] is None and p[3] > window][:4]
    special_ids = {p[0] for p in specials}
    for pk, number, name, due, _user in people:
        if pk in special_ids:
            continue
        rng = random.Random(f"demo-silent-{number}")
        if due <= today + datetime.timedelta(days=30):
            # Keep the first of each group without data, and two in three of the rest with data.
            group_overdue = due < today
            if (group_overdue and not overdue_kept) or (not group_overdue and not soon_kept):
                overdue_kept, soon_kept = overdue_kept or group_overdue, soon_kept or not group_overdue
                continue
            if rng.random() < 0.34:
                continue
        draw = rng.random()
        if due <= window:
            if draw < 0.6:
                add(rng.choice(STRONG), number, name, today - datetime.timedelta(days=rng.randint(1, 60)))
            elif draw < 0.75:
                add("bank_counter", number, name, today - datetime.timedelta(days=rng.randint(0, 5)))
                add("transit_ride", number, name, today - datetime.timedelta(days=rng.randint(0, 5)))
            elif draw < 0.85:
                add("telecom_activity", number, name, today - datetime.timedelta(days=rng.randint(0, 10)))
        elif draw < 0.5:  # not due yet: graded strong, certified when the window opens
            add(rng.choice(STRONG), number, name, today - datetime.timedelta(days=rng.randint(1, 150)))
    # Signals: a death, a custody, a custody then release, activity after a recorded death.
    if len(specials) >= 3:
        add("cremation", specials[0][1], specials[0][2], today - datetime.timedelta(days=6))
        add("prison_admission", specials[1][1], specials[1][2], today - datetime.timedelta(days=20))
        add("court_sentence", specials[2][1], specials[2][2], today - datetime.timedelta(days=400))
        add("prison_release", specials[2][1], specials[2][2], today - datetime.timedelta(days=3))
    deceased = Pensioner.objects.filter(deceased_on__isnull=False).order_by("pk").first()
    if deceased is not None:
        add("transit_ride", deceased.id_number, deceased.name, deceased.deceased_on + datetime.timedelta(days=10))
    _data_quality_rows(rows=rows, people=people, today=today)
    for key, items in rows.items():
        if key == "health_code_scan":  # one agency sends JSON Lines
            with (folder / f"{key}.jsonl").open("w", encoding="utf-8") as handle:
                for record_id, number, name, day in items:
                    record = {"record_id": record_id, "id_number": number, "name": name, "event_date": day.isoformat()}
                    handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        with (folder / f"{key}.csv").open("w", encoding="utf-8") as handle:
            handle.write("record_id,id_number,name,event_date\n")
            for record_id, number, name, day in items:
                handle.write(f"{record_id},{number},{name},{day.isoformat()}\n")


def _data_quality_rows(*, rows: dict[str, list], people: list[tuple], today: datetime.date) -> None:
    """What real files contain: a 15-digit number, a re-issued number, and rows that are rejected."""
    if len(people) < 3:
        return
    yesterday = today - datetime.timedelta(days=1)
    _pk, number, name, _due, _user = people[-1]
    if number[6:8] == "19":
        rows["vaccination"].append(("VAC-LEGACY15", number[:6] + number[8:17], name, yesterday))
    _pk, number, name, _due, _user = people[-2]
    old_body = "360121" + number[6:17]
    old_number = old_body + check_digit(old_body)
    if old_number != number:
        IdNumberMapping.objects.get_or_create(old_number=old_number, defaults={"new_number": number, "note": "demo"})
        rows["vaccination"].append(("VAC-OLDID", old_number, name, yesterday))
    rows["vaccination"].append(("VAC-BAD1", number, "张冠李", yesterday))  # name_mismatch
    rows["vaccination"].append(("VAC-BAD2", "110101190001010000", name, yesterday))  # bad_id_number
    rows["vaccination"].append(("VAC-BAD3", number, name, today + datetime.timedelta(days=3)))  # future_date
