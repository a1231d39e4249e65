#!/usr/bin/env bash
# Set up and run everything CI runs: lint, types, migration check, OpenAPI check, the suite on SQLite and on
# PostgreSQL. TEST_POSTGRES_URL picks the server (default: local trust auth). Extra args go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.lock
export DJANGO_SETTINGS_MODULE=backend.settings_test

echo "== ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy
echo "== migrations and OpenAPI schema"
.venv/bin/python manage.py makemigrations --check --dry-run -v1
.venv/bin/python manage.py spectacular --validate --fail-on-warn --file /dev/null

echo "== pytest on SQLite"
env -u DATABASE_URL .venv/bin/pytest -q "$@"

PG_URL="${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/pension}"
if .venv/bin/python -c "import sys, psycopg; psycopg.connect(sys.argv[1].replace('/pension', '/postgres', 1), connect_timeout=3).close()" "$PG_URL" 2>/dev/null; then
  echo "== pytest on PostgreSQL"
  DATABASE_URL="$PG_URL" .venv/bin/pytest -q "$@"
elif [ "${CI:-}" = "true" ]; then
  echo "PostgreSQL is not reachable at $PG_URL; CI requires it." >&2
  exit 1
else
  echo "== PostgreSQL not reachable at $PG_URL: skipped the PostgreSQL run (CI runs it)."
fi
