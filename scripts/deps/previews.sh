#!/usr/bin/env bash
# Installs what the PortMonitor / LocalProxy tests and benches need: Debian's chromium (headless HMR test), wrk and
# nginx (bench/localproxy), python3 (a plain dev server), and Vite + playwright-core pinned in
# tools/previews/package-lock.json. Idempotent.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || missing+=(nginx-light)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  if [ ! -f /tmp/.whim-apt-updated ]; then $apt_get update -qq && touch /tmp/.whim-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends "${missing[@]}"
fi

cd "$repo/tools/previews"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
test -x node_modules/.bin/vite || { echo "vite missing after install" >&2; exit 1; }
test -f node_modules/playwright-core/package.json || { echo "playwright-core missing after install" >&2; exit 1; }
