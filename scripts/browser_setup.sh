#!/usr/bin/env bash
# Browser tests (tests/selfservice/test_web_client.py, marker `browser`) need Debian's chromium, a
# Chinese font and axe-core. Idempotent: installs only what is missing. Playwright (Python) itself comes from
# requirements-dev.txt and is pointed at /usr/bin/chromium, so it never downloads a browser.
set -euo pipefail
cd "$(dirname "$0")/.."

AXE_VERSION=4.11.0
AXE_DIR=var/browser

# A Chinese font, so screenshots show characters (not boxes) and text is measured as people see it.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ dpkg -s fonts-wqy-zenhei >/dev/null 2>&1 || [ -n "$(fc-list :lang=zh 2>/dev/null)" ]; } || missing+=(fonts-wqy-zenhei)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages)"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] \
  || ! grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json"; then
  echo "== installing axe-core $AXE_VERSION into $AXE_DIR"
  mkdir -p "$AXE_DIR"
  npm install --silent --no-audit --no-fund --no-save --prefix "$AXE_DIR" "axe-core@$AXE_VERSION" >/dev/null
fi
