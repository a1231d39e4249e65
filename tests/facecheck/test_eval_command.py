"""facecheck_eval on a small CI subset of the real East-Asian pairs (the full sets are run by hand)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from .images import EASTASIA

pytestmark = pytest.mark.slow


def _subset(tmp_path, genuine: int = 16, impostor: int = 24):  # type: ignore[no-untyped-def]
    """The first pairs of distinct people from pairs.csv: a fixed, reproducible few dozen."""
    rows = list(csv.DictReader((EASTASIA / "pairs.csv").open()))
    same, seen = [], set()
    for row in rows:
        person = row["left"].split("/")[0]
        if row["same"] == "1" and person not in seen:
            seen.add(person)
            same.append(row)
        if len(same) == genuine:
            break
    different = [row for row in rows if row["same"] == "0"][:impostor]
    path = tmp_path / "pairs.csv"
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["left", "right", "same"])
        writer.writeheader()
        writer.writerows(same + different)
    return path


def test_eval_prints_the_six_lines_on_real_pairs(engine, eastasia, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    scores = tmp_path / "scores.csv"
    call_command(
        "facecheck_eval",
        pairs=str(_subset(tmp_path)),
        images=str(eastasia),
        scores_out=str(scores),
        stdout=out,
        stderr=err,
    )
    lines = out.getvalue().strip().splitlines()
    values = dict(line.split(": ") for line in lines)
    assert list(values) == ["pairs", "failed_to_enroll", "TAR@FAR=0.01", "TAR@FAR=0.001", "EER", "threshold@FAR=0.001"]
    assert values["pairs"] == "40"
    assert int(values["failed_to_enroll"]) <= 2
    # 16 genuine against 24 impostors: most genuine pairs must clear the strictest impostor.
    assert float(values["TAR@FAR=0.001"]) >= 0.75
    assert float(values["EER"]) <= 0.15
    rows = list(csv.DictReader(scores.open()))
    assert len(rows) == 40 and all(float(r["score"]) >= -2 for r in rows)


def test_eval_refuses_a_csv_without_the_columns(engine, eastasia, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\nx,y\n")
    with pytest.raises(CommandError, match="lacks column"):
        call_command("facecheck_eval", pairs=str(bad), images=str(eastasia))


def test_eval_refuses_missing_images(engine, eastasia, tmp_path):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("left,right,same\nnobody/nobody_01.jpg,nobody/nobody_02.jpg,1\n")
    with pytest.raises(CommandError, match="not found"):
        call_command("facecheck_eval", pairs=str(pairs), images=str(eastasia))
