#!/usr/bin/env bash
# Create .venv and install the locked requirements (idempotent). Usage: scripts/setup.sh [lock file]
# requirements.lock (runtime, `make demo`) or requirements-dev.lock (runtime + test tools, `make test`):
# every indirect dependency is pinned there and installed with --no-deps, so two machines get the same set.
# The lock files are generated from requirements*.txt by scripts/lock.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
LOCK="${1:-requirements.lock}"
LOCK="${LOCK%.txt}"
LOCK="${LOCK%.lock}.lock"
PYTHON="${PYTHON:-python3}"

if ! command -v msgfmt >/dev/null 2>&1; then
  echo "Installing gettext (msgfmt) for translation catalogues..."
  if [ "$(id -u)" = "0" ]; then
    (apt-get update -qq && apt-get install -y -qq gettext >/dev/null) || echo "warning: could not install gettext"
  else
    echo "warning: msgfmt not found; install gettext to compile the Chinese catalogues" >&2
  fi
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=".venv/.installed-$(cat requirements.lock requirements-dev.lock | sha1sum | cut -c1-12)-$(basename "$LOCK")"
if [ ! -f "$stamp" ]; then
  log="$(mktemp)"
  if ! .venv/bin/pip install -q --disable-pip-version-check --no-deps -r "$LOCK" >"$log" 2>&1; then
    grep -v "^WARNING: Location" "$log" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
  .venv/bin/pip check --disable-pip-version-check
  .venv/bin/python -c "import django, rest_framework, django_q, twilio, insightface, onnxruntime"
  touch "$stamp"
fi
# Local state: settings only read it (importing them writes nothing). A random development key, kept across
# restarts so sessions survive; production sets SECRET_KEY instead.
mkdir -p var/static
if [ ! -s var/dev-secret-key ]; then
  (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" >var/dev-secret-key)
fi
# Development keys for personal data at rest (ID numbers, names, phones, bank accounts, photos, embeddings):
# generated once, never rotated by setup (data written under them would no longer decrypt). Production sets
# FIELD_ENCRYPTION_KEYS and FIELD_BLIND_INDEX_KEY instead; see docs/security.md.
for key_file in var/dev-field-encryption-key var/dev-blind-index-key; do
  if [ ! -s "$key_file" ]; then
    (umask 077 && .venv/bin/python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('='))" >"$key_file")
  fi
done
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=var -v0
