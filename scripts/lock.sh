#!/usr/bin/env bash
# Regenerate requirements.lock and requirements-dev.lock: every direct and indirect dependency, pinned.
# The top-level pins stay in requirements.txt / requirements-dev.txt (edit those, then run this);
# pins already in the lock files are kept when still compatible (pass --upgrade to refresh them all).
# pip-tools runs in a throwaway virtualenv, so the project's .venv is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
PIP_TOOLS="pip-tools==7.6.2"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
"$PYTHON" -m venv "$tools/venv"
"$tools/venv/bin/pip" install -q --disable-pip-version-check "$PIP_TOOLS" 2>&1 | grep -v "^WARNING: Location" || true
compile=("$tools/venv/bin/pip-compile" -q --strip-extras --allow-unsafe --no-emit-index-url --no-emit-trusted-host
  --no-emit-find-links "$@")
export CUSTOM_COMPILE_COMMAND="scripts/lock.sh"
"${compile[@]}" -o requirements.lock requirements.txt
# The dev lock is the runtime lock plus the test/lint tools: same versions for everything they share.
"${compile[@]}" -c requirements.lock -o requirements-dev.lock requirements-dev.txt
echo "requirements.lock: $(grep -c '==' requirements.lock) pins; requirements-dev.lock: $(grep -c '==' requirements-dev.lock) pins"
