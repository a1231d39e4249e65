#!/usr/bin/env bash
# Create .venv and install pinned requirements (idempotent). Usage: scripts/setup.sh [requirements file]
set -euo pipefail
cd "$(dirname "$0")/.."
REQUIREMENTS="${1:-requirements.txt}"
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
stamp=".venv/.installed-$(cat requirements.txt requirements-dev.txt 2>/dev/null | sha1sum | cut -c1-12)-$(basename "$REQUIREMENTS")"
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --disable-pip-version-check -r "$REQUIREMENTS" 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import django, rest_framework, django_q, twilio, insightface, onnxruntime" 
  touch "$stamp"
fi
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=var -v0
