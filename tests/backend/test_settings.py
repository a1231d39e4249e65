import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c", "import backend.settings"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _import_settings(DEBUG="False")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_secret_key():
    assert _import_settings(DEBUG="False", SECRET_KEY="x" * 50).returncode == 0


def _import_copied_settings(tmp_path: Path, **env: str) -> str:
    """Import a copy of backend/settings.py whose BASE_DIR is ``tmp_path``; return its SECRET_KEY."""
    package = tmp_path / "backend"
    if not package.exists():
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "settings.py").write_text((ROOT / "backend" / "settings.py").read_text())
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "MEDIA_ROOT"}}
    return subprocess.run(
        [sys.executable, "-c", "import backend.settings as s; print(s.SECRET_KEY)"],
        cwd=tmp_path,
        env=clean | {"PYTHONPATH": str(tmp_path), "PYTHONDONTWRITEBYTECODE": "1"} | env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def test_importing_settings_writes_no_file(tmp_path):
    _import_copied_settings(tmp_path)
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert written == ["backend", "backend/__init__.py", "backend/settings.py"]


def test_debug_without_a_key_file_uses_a_stable_key_marked_insecure(tmp_path):
    key = _import_copied_settings(tmp_path)
    assert key.startswith("django-insecure-")
    assert _import_copied_settings(tmp_path) == key


def test_debug_uses_the_key_that_setup_wrote(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "dev-secret-key").write_text("written-by-setup\n")
    assert _import_copied_settings(tmp_path) == "written-by-setup"
