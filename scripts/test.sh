#!/usr/bin/env bash
# Set up and run everything CI runs: lint, types, migration check, OpenAPI check, the suite on SQLite and on
# PostgreSQL, and the task and cache tests with Redis as django-q2 broker and cache. TEST_POSTGRES_URL and
# TEST_REDIS_URL pick the servers (default: local). Extra args go to the two whole-suite pytest runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh requirements-dev.lock
scripts/browser_setup.sh  # Debian chromium, a Chinese font and axe-core for the browser tests
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

# Redis as production runs it: django-q2 broker (db 0) and Django cache (db 1). The task round trip,
# the schedules and the throttle; skipped tests print their reason (-rs).
REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
REDIS_TESTS=(tests/backend/test_redis.py tests/notifications/test_schedules.py tests/accounts/test_login.py)
if .venv/bin/python -c "import sys, redis; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=3).ping()" "$REDIS_URL" 2>/dev/null; then
  echo "== pytest with Redis (django-q2 broker and cache)"
  env -u DATABASE_URL Q_REDIS_URL="$REDIS_URL/0" CACHE_URL="$REDIS_URL/1" .venv/bin/pytest -q -rs "${REDIS_TESTS[@]}"
elif [ "${CI:-}" = "true" ]; then
  echo "Redis is not reachable at $REDIS_URL; CI requires it." >&2
  exit 1
else
  echo "== Redis not reachable at $REDIS_URL: skipped the Redis run (CI runs it)."
fi

echo "== make demo stops cleanly on SIGTERM to its process group"
scripts/check_demo_stop.sh
