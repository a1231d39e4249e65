#!/usr/bin/env python3
"""Print the app import graph (every import, including those inside functions) and check it
against the layers: an app may import only apps in lower layers, never a peer or one above.

Usage: python scripts/import_graph.py [--check]   (exit 1 with --check when a layer is broken)
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Lowest first. Apps on one line are peers and must not import each other.
LAYERS: list[tuple[str, ...]] = [
    ("backend",),
    ("notifications",),  # SMS transport: outbox, backends, webhooks, opt-out
    ("accounts",),
    ("selfservice",),  # certification and benefit core
    ("casework",),
    ("facecheck", "chatbot", "silent"),
    ("dashboard",),  # staff figures: reads facecheck too, so it sits above it
]
LEVEL = {app: level for level, apps in enumerate(LAYERS) for app in apps}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, imported module) for every absolute import in the file, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
    return found


def app_edges(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """``{(importer app, imported app): ["file:line", ...]}`` over every runtime module."""
    edges: dict[tuple[str, str], list[str]] = defaultdict(list)
    for app in LEVEL:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for line, module in imports_of(path):
                target = module.split(".")[0]
                if target in LEVEL and target != app:
                    edges[(app, target)].append(f"{path.relative_to(root)}:{line}")
    return dict(edges)


def violations(edges: dict[tuple[str, str], list[str]]) -> list[str]:
    return [
        f"{source} imports {target} ({LEVEL[source]} -> {LEVEL[target]}): {', '.join(places)}"
        for (source, target), places in sorted(edges.items())
        if LEVEL[target] >= LEVEL[source]
    ]


def main() -> int:
    edges = app_edges()
    for level, apps in reversed(list(enumerate(LAYERS))):
        for app in apps:
            targets = sorted({target for source, target in edges if source == app}, key=lambda a: -LEVEL[a])
            print(f"{level}  {app:<14} -> {', '.join(targets) or '(nothing)'}")
    broken = violations(edges)
    for line in broken:
        print(f"BROKEN: {line}")
    return 1 if broken and "--check" in sys.argv else 0


if __name__ == "__main__":
    sys.exit(main())
