"""Everything a user reads is Chinese: no catalogue may carry an untranslated or fuzzy entry."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = sorted(p for p in ROOT.glob("*/locale/zh_Hans/LC_MESSAGES/django.po"))
ENTRY = re.compile(r'(#,[^\n]*\n)?(?:#[^\n]*\n)*msgid ((?:"[^\n]*"\n)+)msgstr ((?:"[^\n]*"\n)+)', re.M)


def _text(block: str) -> str:
    return "".join(re.findall(r'"(.*)"', block))


@pytest.mark.parametrize("catalogue", CATALOGUES, ids=lambda p: p.parts[-5])
def test_every_message_is_translated(catalogue):
    untranslated = []
    for flags, msgid, msgstr in ENTRY.findall(catalogue.read_text(encoding="utf-8")):
        if _text(msgid) and (not _text(msgstr) or "fuzzy" in flags):
            untranslated.append(_text(msgid))
    assert untranslated == []


def test_the_core_catalogues_exist():
    names = {p.parts[-5] for p in CATALOGUES}
    assert {"accounts", "selfservice", "backend"} <= names
