import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


FIELD_KEYS = {"FIELD_ENCRYPTION_KEYS", "FIELD_BLIND_INDEX_KEY"}


def _import_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"} | FIELD_KEYS}
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


def test_production_starts_with_a_secret_key_and_the_field_keys():
    keys = {"FIELD_ENCRYPTION_KEYS": "k" * 43, "FIELD_BLIND_INDEX_KEY": "i" * 43}
    assert _import_settings(DEBUG="False", SECRET_KEY="x" * 50, **keys).returncode == 0


def test_production_refuses_to_start_without_the_field_encryption_keys():
    result = _import_settings(DEBUG="False", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def _import_copied_settings(tmp_path: Path, name: str = "SECRET_KEY", **env: str) -> str:
    """Import a copy of backend/settings.py whose BASE_DIR is ``tmp_path``; return one of its settings."""
    package = tmp_path / "backend"
    if not package.exists():
        package.mkdir()
        (package / "__init__.py").write_text("")
        (package / "settings.py").write_text((ROOT / "backend" / "settings.py").read_text())
    dropped = {"SECRET_KEY", "DEBUG", "DATABASE_URL", "MEDIA_ROOT"} | FIELD_KEYS
    clean = {k: v for k, v in os.environ.items() if k not in dropped}
    return subprocess.run(
        [sys.executable, "-c", f"import backend.settings as s; print(s.{name})"],
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


def test_debug_uses_the_field_keys_that_setup_wrote(tmp_path):
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "dev-field-encryption-key").write_text("enc-written-by-setup\n")
    (tmp_path / "var" / "dev-blind-index-key").write_text("idx-written-by-setup\n")
    assert _import_copied_settings(tmp_path, "FIELD_ENCRYPTION_KEYS") == "['enc-written-by-setup']"
    assert _import_copied_settings(tmp_path, "FIELD_BLIND_INDEX_KEY") == "idx-written-by-setup"


def test_debug_without_field_key_files_uses_stable_separate_keys(tmp_path):
    encryption = _import_copied_settings(tmp_path, "FIELD_ENCRYPTION_KEYS")
    index = _import_copied_settings(tmp_path, "FIELD_BLIND_INDEX_KEY")
    assert encryption == _import_copied_settings(tmp_path, "FIELD_ENCRYPTION_KEYS")
    assert index not in encryption


def test_setup_writes_the_development_field_keys_once(tmp_path):
    """scripts/setup.sh generates the keys like var/dev-secret-key: owner-only, never overwritten."""
    script = (ROOT / "scripts" / "setup.sh").read_text()
    assert "var/dev-field-encryption-key var/dev-blind-index-key" in script
    assert 'if [ ! -s "$key_file" ]' in script and "umask 077" in script
