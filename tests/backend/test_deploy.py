"""Production configuration: Django's deployment checks pass, docs pages load nothing from other hosts,
the back office carries the service's name."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "False",
    "SECRET_KEY": "k3Y-" + "x7Qp2Lm9Zr4Tv8Wn" * 4,
    "ALLOWED_HOSTS": "pension.example.gov.cn",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "FIELD_ENCRYPTION_KEYS": "cHJvZC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDE",
    "FIELD_BLIND_INDEX_KEY": "cHJvZC1ibGluZC1pbmRleC1rZXktMDAwMDAwMDAwMDE",
}


def _check_deploy(**env: str) -> subprocess.CompletedProcess:
    names = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "FIELD_ENCRYPTION_KEYS", "FIELD_BLIND_INDEX_KEY"}
    clean = {k: v for k, v in os.environ.items() if k not in names}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean | env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_is_clean_with_the_documented_production_variables():
    result = _check_deploy(**PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_a_per_process_cache():
    result = _check_deploy(**{k: v for k, v in PRODUCTION.items() if k != "CACHE_URL"})
    assert result.returncode != 0
    assert "backend.W001" in result.stdout + result.stderr


def test_production_refuses_to_start_without_the_field_encryption_keys():
    result = _check_deploy(**{k: v for k, v in PRODUCTION.items() if k != "FIELD_ENCRYPTION_KEYS"})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_the_blind_index_key():
    result = _check_deploy(**{k: v for k, v in PRODUCTION.items() if k != "FIELD_BLIND_INDEX_KEY"})
    assert result.returncode != 0
    assert "FIELD_BLIND_INDEX_KEY must be set" in result.stderr


def test_check_deploy_flags_a_malformed_field_key():
    result = _check_deploy(**(PRODUCTION | {"FIELD_ENCRYPTION_KEYS": "too-short"}))
    assert result.returncode != 0
    assert "backend.W003" in result.stdout + result.stderr


def test_check_deploy_flags_the_blind_index_key_reused_for_encryption():
    result = _check_deploy(**(PRODUCTION | {"FIELD_BLIND_INDEX_KEY": PRODUCTION["FIELD_ENCRYPTION_KEYS"]}))
    assert result.returncode != 0
    assert "backend.W004" in result.stdout + result.stderr


@pytest.mark.django_db
def test_redoc_loads_nothing_from_another_host(client):
    page = client.get("/api/redoc/").content.decode()
    assert "Redoc" in page
    assert "googleapis" not in page
    assert "gstatic" not in page
    assert "https://" not in page and "http://" not in page


@pytest.mark.django_db
def test_swagger_ui_loads_nothing_from_another_host(client):
    page = client.get("/api/docs/").content.decode()
    assert "https://" not in page and "http://" not in page


@pytest.mark.django_db
def test_the_admin_is_titled_as_the_service(client):
    page = client.get("/admin/login/").content.decode()
    assert "养老保险待遇资格认证" in page
    assert "Django" not in page.split("<body", 1)[1].split("</h1>", 1)[0]
