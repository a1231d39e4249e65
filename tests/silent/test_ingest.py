"""evidence_ingest: counts, every reject reason, duplicates, mapping, formats (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from silent.models import EvidenceEvent, IdNumberMapping, IngestBatch
from tests.silent.conftest import id_number, rejects_of, write_csv

pytestmark = pytest.mark.django_db


def ingest(path, key="vaccination", **options) -> dict[str, int]:  # type: ignore[no-untyped-def]
    out = StringIO()
    call_command("evidence_ingest", str(path), source=key, quiet_progress=True, stdout=out, **options)
    lines = dict(line.split(": ", 1) for line in out.getvalue().splitlines())
    return {key: int(value) for key, value in lines.items() if key != "rejects"}


def test_accepts_a_matching_row_and_prints_the_counts(tmp_path, person, today):
    p = person("王秀英")
    path = write_csv(tmp_path, [("V1", p.id_number, "王秀英", today.isoformat())])
    assert ingest(path) == {"rows": 1, "accepted": 1, "duplicates": 0, "rejected": 0}
    event = EvidenceEvent.objects.get()
    assert (event.pensioner_id, event.event_date, event.record_id, event.source.key) == (
        p.pk,
        today,
        "V1",
        "vaccination",
    )
    assert event.batch.finished_at is not None


def test_the_same_file_twice_adds_nothing(tmp_path, person, today):
    p = person()
    path = write_csv(tmp_path, [("V1", p.id_number, p.name, today), ("V2", p.id_number, p.name, today)])
    ingest(path)
    assert ingest(path) == {"rows": 2, "accepted": 0, "duplicates": 2, "rejected": 0}
    assert EvidenceEvent.objects.count() == 2


def test_a_record_id_repeated_in_one_file_is_loaded_once(tmp_path, person, today):
    p = person()
    yesterday = today - datetime.timedelta(days=1)
    path = write_csv(tmp_path, [("V1", p.id_number, p.name, yesterday), ("V1", p.id_number, p.name, today)])
    assert ingest(path) == {"rows": 2, "accepted": 1, "duplicates": 1, "rejected": 0}
    assert EvidenceEvent.objects.get().event_date == yesterday  # the first occurrence wins


def test_a_repeated_record_id_keeps_its_first_accepted_occurrence(tmp_path, person, today):
    p = person()
    yesterday = today - datetime.timedelta(days=1)
    rows = [
        ("V1", p.id_number, "某某", today),
        ("V1", p.id_number, p.name, yesterday),
        ("V1", p.id_number, p.name, today),
    ]
    assert ingest(write_csv(tmp_path, rows)) == {"rows": 3, "accepted": 1, "duplicates": 1, "rejected": 1}
    assert EvidenceEvent.objects.get().event_date == yesterday


def test_a_pensioner_with_events_cannot_be_deleted_even_in_raw_sql(tmp_path, person, today):
    """Events do not check their pensioner per inserted row; the delete is what is refused."""
    p = person()
    ingest(write_csv(tmp_path, [("V1", p.id_number, p.name, today)]))
    with pytest.raises(ProtectedError):
        p.delete()
    if connection.vendor != "postgresql":
        return  # SQLite: the ORM's PROTECT (above) is the guard
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM accounts_pensioner WHERE id = %s", [p.pk])
    assert EvidenceEvent.objects.filter(pensioner=p).count() == 1


def test_the_same_record_id_of_another_source_is_a_different_record(tmp_path, person, today):
    p = person()
    path = write_csv(tmp_path, [("R1", p.id_number, p.name, today)])
    ingest(path, "vaccination")
    assert ingest(path, "transit_ride")["accepted"] == 1


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (("V1", "{id}", "王秀英"), "bad_row"),
        (("V1", "{id}", "王秀英", "{today}", "x", "y"), "bad_row"),
        (("", "{id}", "王秀英", "{today}"), "missing_field"),
        (("V1", "", "王秀英", "{today}"), "missing_field"),
        (("V1", "{id}", " ", "{today}"), "missing_field"),
        (("V1", "{id}", "王秀英", ""), "missing_field"),
        (("V" * 65, "{id}", "王秀英", "{today}"), "bad_record_id"),
        (("V1", "36010219500315001X", "王秀英", "{today}"), "bad_id_number"),
        (("V1", "3601021950031500", "王秀英", "{today}"), "bad_id_number"),
        (("V1", "{id}", "王秀英", "2024-02-30"), "bad_date"),
        (("V1", "{id}", "王秀英", "20240101"), "bad_date"),
        (("V1", "{id}", "王秀英", "{tomorrow}"), "future_date"),
        (("V1", "{other_id}", "王秀英", "{today}"), "unknown_person"),
        (("V1", "{id}", "王秀兰", "{today}"), "name_mismatch"),
    ],
)
def test_every_reject_reason(tmp_path, person, today, row, reason):
    p = person("王秀英")
    values = {
        "id": p.id_number,
        "other_id": id_number(datetime.date(1951, 1, 1), 7),
        "today": today.isoformat(),
        "tomorrow": (today + datetime.timedelta(days=1)).isoformat(),
    }
    good = ("OK", p.id_number, "王秀英", today.isoformat())
    path = write_csv(tmp_path, [good, tuple(str(v).format(**values) for v in row), good])
    assert ingest(path) == {"rows": 3, "accepted": 1, "duplicates": 1, "rejected": 1}
    assert rejects_of(tmp_path / "in.csv.rejects.csv") == [(3, reason)]


def test_rejects_go_where_asked_and_the_batch_keeps_them(tmp_path, person, today):
    p = person()
    path = write_csv(tmp_path, [("V1", p.id_number, "别人", today)])
    target = tmp_path / "out" / "rej.csv"
    target.parent.mkdir()
    ingest(path, rejects=str(target))
    assert rejects_of(target) == [(2, "name_mismatch")]
    assert IngestBatch.objects.get().rejects == [{"line": 2, "reason": "name_mismatch", "record_id": "V1"}]


def test_fifteen_digit_numbers_are_upgraded_before_matching(tmp_path, person, today):
    p = person(id_number=id_number(datetime.date(1950, 3, 15), 123))
    old15 = p.id_number[:6] + p.id_number[8:17]
    path = write_csv(tmp_path, [("V1", old15, p.name, today)])
    assert ingest(path)["accepted"] == 1


def test_lower_case_x_and_spaces_are_normalised(tmp_path, person, today):
    number = next(
        id_number(datetime.date(1950, 3, 15), seq)
        for seq in range(1, 999)
        if id_number(datetime.date(1950, 3, 15), seq).endswith("X")
    )
    p = person(id_number=number)
    path = write_csv(tmp_path, [("V1", " " + number.lower() + " ", p.name, today)])
    assert ingest(path)["accepted"] == 1


def test_an_old_number_is_mapped_to_the_new_one(tmp_path, person, today):
    p = person()
    old = id_number(datetime.date(1950, 3, 15), 500, area="360121")
    IdNumberMapping.objects.create(old_number=old, new_number=p.id_number)
    path = write_csv(tmp_path, [("V1", old, p.name, today)])
    assert ingest(path)["accepted"] == 1
    assert EvidenceEvent.objects.get().pensioner_id == p.pk


def test_the_mapping_still_checks_the_name(tmp_path, person, today):
    p = person("李桂兰")
    old = id_number(datetime.date(1950, 3, 15), 500, area="360121")
    IdNumberMapping.objects.create(old_number=old, new_number=p.id_number)
    path = write_csv(tmp_path, [("V1", old, "李桂芳", today)])
    assert ingest(path)["rejected"] == 1


def test_names_are_compared_without_width_space_or_dot_differences(tmp_path, person, today):
    p = person("阿卜杜·热合曼")
    path = write_csv(
        tmp_path, [("V1", p.id_number, "阿卜杜・热合曼", today), ("V2", p.id_number, "阿卜杜 · 热合曼", today)]
    )
    assert ingest(path)["accepted"] == 2


def test_json_lines_with_the_same_fields(tmp_path, person, today):
    p = person()
    path = tmp_path / "in.jsonl"
    rows = [
        {"record_id": "J1", "id_number": p.id_number, "name": p.name, "event_date": today.isoformat(), "detail": "x"},
        {"record_id": "J2", "id_number": p.id_number, "name": p.name},
        "not an object",
    ]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n{broken\n", encoding="utf-8")
    assert ingest(path) == {"rows": 4, "accepted": 1, "duplicates": 0, "rejected": 3}
    assert rejects_of(tmp_path / "in.jsonl.rejects.csv") == [(2, "missing_field"), (3, "bad_row"), (4, "bad_row")]
    assert EvidenceEvent.objects.get().detail == "x"


def test_a_detail_column_is_optional_and_kept(tmp_path, person, today):
    p = person()
    path = write_csv(
        tmp_path, [("V1", p.id_number, p.name, today, "第二针")], header="record_id,id_number,name,event_date,detail"
    )
    ingest(path)
    assert EvidenceEvent.objects.get().detail == "第二针"


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n\x00\x00", b"a;b;c\n1;2;3\n", b"\xff\xfe\x00r\x00e", b"", b"name,age\nx,1\n"],
)
def test_a_file_that_is_not_csv_or_jsonl_is_refused(tmp_path, content):
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=r"in\.csv"):
        ingest(path)
    assert IngestBatch.objects.count() == 0


def test_an_unknown_source_is_refused(tmp_path):
    path = write_csv(tmp_path, [])
    with pytest.raises(CommandError, match="Unknown source"):
        ingest(path, "nope")


def test_a_broken_row_never_aborts_the_batch(tmp_path, person, today):
    p = person()
    path = tmp_path / "in.csv"
    path.write_bytes(
        b"record_id,id_number,name,event_date\n"
        + f"V1,{p.id_number},{p.name},{today}\n".encode()
        + b"V2,\xff\xfe,x,2020-01-01\n"
        + f'V3,{p.id_number},"{p.name},{today}\n'.encode()
    )
    result = ingest(path)
    assert result["accepted"] == 1
    assert result["rows"] == result["accepted"] + result["duplicates"] + result["rejected"]


REASON_ROWS = [
    ("A1", "{id}", "王秀英", "{today}"),  # accepted
    ("A2", "{id}", "王秀英", "{today}", "x", "y"),  # bad_row
    ("", "{id}", "王秀英", "{today}"),  # missing_field
    ("V" * 65, "{id}", "王秀英", "{today}"),  # bad_record_id
    ("A3", "36010219500315001X", "王秀英", "{today}"),  # bad_id_number (check digit)
    ("A4", "３６０１０２１９５００３１５００１６", "王秀英", "{today}"),  # bad_id_number (full-width digits)
    ("A5", "{id}", "王秀英", "2024-02-30"),  # bad_date
    ("A6", "{id}", "王秀英", "{tomorrow}"),  # future_date
    ("A7", "{other_id}", "王秀英", "{today}"),  # unknown_person
    ("A8", "{id}", "王秀兰", "{today}"),  # name_mismatch
    ("A1", "{id}", "王秀英", "{today}"),  # duplicate
    ("A9", "\u3000{id} ", "\u3000王秀英\u3000", " {today}\u3000"),  # Unicode spaces around: accepted
]


@pytest.mark.parametrize("quoted", [False, True])
def test_plain_and_quoted_csv_give_the_same_result(tmp_path, person, today, quoted):
    """A file with quotes is read by Python's CSV reader on PostgreSQL, a plain one goes to COPY as
    it is: both (and SQLite) give the same counts and rejects."""
    import csv as csv_module

    p = person("王秀英")
    values = {
        "id": p.id_number,
        "other_id": id_number(datetime.date(1951, 1, 1), 7),
        "today": today.isoformat(),
        "tomorrow": (today + datetime.timedelta(days=1)).isoformat(),
    }
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_module.writer(handle, quoting=csv_module.QUOTE_ALL if quoted else csv_module.QUOTE_MINIMAL)
        writer.writerow(["record_id", "id_number", "name", "event_date"])
        for row in REASON_ROWS:
            writer.writerow([v.format(**values) for v in row])
    assert ingest(path) == {"rows": 12, "accepted": 2, "duplicates": 1, "rejected": 9}
    assert rejects_of(tmp_path / "in.csv.rejects.csv") == [
        (3, "bad_row"),
        (4, "missing_field"),
        (5, "bad_record_id"),
        (6, "bad_id_number"),
        (7, "bad_id_number"),
        (8, "bad_date"),
        (9, "future_date"),
        (10, "unknown_person"),
        (11, "name_mismatch"),
    ]


def test_an_end_of_data_marker_line_does_not_cut_the_file(tmp_path, person, today):
    p = person()
    path = tmp_path / "in.csv"
    path.write_text(
        f"record_id,id_number,name,event_date\nV1,{p.id_number},{p.name},{today}\n\\.\nV2,{p.id_number},{p.name},{today}\n",
        encoding="utf-8",
    )
    assert ingest(path) == {"rows": 3, "accepted": 2, "duplicates": 0, "rejected": 1}
    assert rejects_of(tmp_path / "in.csv.rejects.csv") == [(3, "bad_row")]


def test_a_file_without_a_final_newline_loses_no_row(tmp_path, person, today):
    p = person()
    path = tmp_path / "in.csv"
    path.write_text(f"record_id,id_number,name,event_date\nV1,{p.id_number},{p.name},{today}", encoding="utf-8")
    assert ingest(path)["accepted"] == 1


def _numbers_to_check(today: datetime.date) -> list[str]:
    """Every check character for bodies around each birth-date rule, 15-digit forms, and random
    bodies with their right check character."""
    import random

    from accounts.idnumbers import check_digit

    births = ["18891231", "18900101", "19000229", "20000229", "19500230", "19501301", "19500010", "19500431"]
    births += ["19501231", today.strftime("%Y%m%d"), (today + datetime.timedelta(days=1)).strftime("%Y%m%d")]
    numbers = [f"360102{birth}123{char}" for birth in births for char in "0123456789X"]
    numbers += [f"360102{birth[2:]}123" for birth in births]  # 15 digits: 19yy
    rng = random.Random(11)
    for _ in range(200):
        body = str(rng.randrange(10**16, 10**17))
        numbers.append(body + check_digit(body))
    return numbers


def test_the_id_number_checks_agree_with_the_python_rules(tmp_path, today):
    from silent.services.rows import _id_number

    numbers = _numbers_to_check(today)
    path = write_csv(tmp_path, [(f"V{i}", number, "王秀英", today) for i, number in enumerate(numbers)])
    ingest(path)
    expected = [(i + 2, "unknown_person" if _id_number(n, today) else "bad_id_number") for i, n in enumerate(numbers)]
    assert rejects_of(tmp_path / "in.csv.rejects.csv") == expected
