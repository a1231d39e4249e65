"""manage.py chatbot_eval: the figures the issue asks for, from any labelled JSON-lines file."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command


def _write(path, rows) -> None:  # type: ignore[no-untyped-def]
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n")


def _run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("chatbot_eval", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_items_accuracy_table_and_confusions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eval.jsonl"
    _write(
        path,
        [
            {"text": "我爸去世了怎么办", "intent": "report_death", "source": "ignored"},
            {"text": "刷脸一直失败", "intent": "face_failed"},
            {"text": "取消", "intent": "cancel"},
            {"text": "取消", "intent": "thanks"},  # deliberately wrong label: one confusion
        ],
    )
    out, _ = _run(str(path))
    lines = out.splitlines()
    assert lines[0] == "items: 4"
    assert lines[1] == "accuracy: 0.7500"
    assert any(line.split()[:3] == ["cancel", "0.500", "1.000"] for line in lines)
    assert any(line.split()[:3] == ["thanks", "0.000", "0.000"] for line in lines)
    assert "  thanks -> cancel: 1" in lines


def test_bad_lines_are_skipped_with_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eval.jsonl"
    _write(path, ["not json", json.dumps({"text": "你好"}), "", json.dumps({"text": "你好", "intent": "greeting"})])
    out, err = _run(str(path))
    assert out.splitlines()[0] == "items: 1"
    assert "line 1: not JSON" in err
    assert "line 2: needs 'text' and 'intent'" in err


def test_unknown_intent_is_counted_as_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eval.jsonl"
    _write(path, [{"text": "你好", "intent": "smalltalk"}])
    out, err = _run(str(path))
    assert "accuracy: 0.0000" in out
    assert "unknown intent 'smalltalk'" in err


def test_missing_file_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CommandError, match="cannot read"):
        _run(str(tmp_path / "nope.jsonl"))


def test_dev_set_accuracy_is_at_least_90_percent() -> None:
    out, _ = _run("chatbot/data/dev.jsonl")
    accuracy = float(out.splitlines()[1].split(": ")[1])
    assert accuracy >= 0.90


@pytest.mark.django_db
def test_answers_prints_each_question_with_the_reply_and_leaves_no_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accounts.models import User
    from chatbot.models import Message

    path = tmp_path / "eval.jsonl"
    _write(path, [{"text": "刷脸一直失败", "intent": "face_failed"}, {"text": "你好", "intent": "greeting"}])
    out, _ = _run(str(path), "--answers")
    lines = out.splitlines()
    assert "[1] Q: 刷脸一直失败" in lines
    assert "[2] Q: 你好" in lines
    answers = [line for line in lines if line.startswith("    A: ")]
    assert len(answers) == 2 and all(len(a) > len("    A: ") for a in answers)
    assert not User.objects.filter(username__startswith="chatbot-eval-").exists()
    assert not Message.objects.exists()


def test_without_answers_no_reply_is_printed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "eval.jsonl"
    _write(path, [{"text": "刷脸一直失败", "intent": "face_failed"}])
    out, _ = _run(str(path))
    assert "Q: " not in out
