#!/usr/bin/env bash
# browser-deps: what the browser tests need beyond Go — Debian's Chromium
# (the tests drive it headless over the DevTools protocol) and axe-core
# (the accessibility engine, pinned by internal/browsertest/package-lock.json
# and installed into internal/browsertest/node_modules). Installs only what
# is missing, so a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null; then
  echo "browser-deps: installing Debian chromium"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

if [ ! -f internal/browsertest/node_modules/axe-core/axe.min.js ]; then
  echo "browser-deps: installing axe-core from the npm lockfile"
  (cd internal/browsertest && npm ci --no-audit --no-fund --silent)
fi
