#!/usr/bin/env bash
# Browser tests (tests/selfservice/test_web_client.py, marker `browser`) need Debian's chromium and
# axe-core. Idempotent: installs only what is missing. Playwright (Python) itself comes from
# requirements-dev.txt and is pointed at /usr/bin/chromium, so it never downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.11.0
AXE_DIR=var/browser

if ! command -v chromium >/dev/null 2>&1; then
  echo "== installing chromium (Debian package)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] \
  || ! grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  echo "== installing axe-core $AXE_VERSION into $AXE_DIR"
  mkdir -p "$AXE_DIR"
  npm install --silent --no-audit --no-fund --no-save --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
fi
