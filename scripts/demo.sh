#!/usr/bin/env bash
# Set up and run the service with demo data on the embedded defaults (SQLite, django-q2 ORM broker,
# console SMS). Login codes appear in this terminal. Stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements.lock
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py seed_demo
if .venv/bin/python manage.py help setup_schedules >/dev/null 2>&1; then
  .venv/bin/python manage.py setup_schedules
fi
.venv/bin/python manage.py qcluster &
worker=$!
trap 'kill $worker 2>/dev/null || true' EXIT INT TERM
echo
echo "API:        http://127.0.0.1:${PORT:-8000}/api/v1/"
echo "Swagger UI: http://127.0.0.1:${PORT:-8000}/api/docs/"
echo "Admin:      http://127.0.0.1:${PORT:-8000}/admin/"
.venv/bin/python manage.py runserver "127.0.0.1:${PORT:-8000}"
