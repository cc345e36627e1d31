#!/usr/bin/env bash
# The one test command (README "Quick start"): installs what the tests need on a fresh machine, then type-checks, lints and tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the suites use (real servers, never mocks). Installed only when missing.
need=()
for pkg in $(grep -v '^#' scripts/apt-packages.txt 2>/dev/null || true); do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# Exactly the lock file's tree (it lists every platform's optional builds, so this works on any OS).
npm ci --no-audit --no-fund
npm run lint
npm test
# The end-to-end suites again, with Feishu reaching the bot over the long connection instead of webhooks.
npm run test:websocket
