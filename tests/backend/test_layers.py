"""The layers hold: no app imports a peer or an app above it, not even inside a function."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _graph():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("import_graph", module)
    spec.loader.exec_module(module)
    return module


def test_no_app_imports_upward_or_sideways():
    graph = _graph()
    assert graph.violations(graph.app_edges()) == []


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for app in _graph().LEVEL:
        (tmp_path / app).mkdir(exist_ok=True)
    return tmp_path


def test_an_upward_import_inside_a_function_is_found(tmp_path):
    graph = _graph()
    root = _tree(tmp_path, {"notifications/services.py": "def f():\n    from chatbot.services import reply\n"})
    assert graph.violations(graph.app_edges(root)) == [
        "notifications imports chatbot (1 -> 5): notifications/services.py:2"
    ]


def test_peers_may_not_import_each_other(tmp_path):
    graph = _graph()
    root = _tree(tmp_path, {"facecheck/apis.py": "import chatbot.services\n"})
    assert len(graph.violations(graph.app_edges(root))) == 1


def test_downward_imports_and_migrations_are_allowed(tmp_path):
    graph = _graph()
    root = _tree(
        tmp_path,
        {
            "chatbot/services.py": "from casework.services import death_report_submit\nimport notifications.sms\n",
            "accounts/migrations/0001_initial.py": "from casework.models import Case\n",
        },
    )
    assert graph.violations(graph.app_edges(root)) == []


def test_the_readme_diagram_shows_the_layers_the_check_enforces():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Architecture", 1)[1].split("```", 2)[1]
    drawn = {
        int(level): tuple(re.findall(r"[a-z]+", apps.split("(")[0]))
        for level, apps in re.findall(r"^(\d)\s+(.+)$", block, flags=re.M)
    }
    assert drawn == dict(enumerate(_graph().LAYERS))
