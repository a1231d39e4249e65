"""Everything a user reads is Chinese: no catalogue may carry an untranslated or fuzzy entry."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
# An entry: its comment lines (flags such as "#, fuzzy" may come before or after the "#:" source
# references), an optional context, the msgid and the msgstr.
ENTRY = re.compile(r'((?:#[^\n]*\n)*)(?:msgctxt (?:"[^\n]*"\n)+)?msgid ((?:"[^\n]*"\n)+)msgstr ((?:"[^\n]*"\n)+)', re.M)


def _text(block: str) -> str:
    return "".join(re.findall(r'"(.*)"', block))


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_message_is_translated(catalogue):
    untranslated = []
    for comments, msgid, msgstr in ENTRY.findall(catalogue.read_text(encoding="utf-8")):
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in comments.splitlines())
        if _text(msgid) and (not _text(msgstr) or fuzzy):
            untranslated.append(_text(msgid))
    assert untranslated == []


def test_the_core_catalogues_exist():
    names = {p.parts[-5] for p in CATALOGUES}
    assert {"accounts", "selfservice", "backend"} <= names


def test_a_fuzzy_flag_after_the_source_references_counts(tmp_path):
    text = '#: app/views.py:3\n#, fuzzy\nmsgid "Log out"\nmsgstr "上门认证"\n'
    ((comments, msgid, _msgstr),) = ENTRY.findall(text)
    assert _text(msgid) == "Log out" and "fuzzy" in comments
