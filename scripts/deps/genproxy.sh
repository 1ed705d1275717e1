#!/usr/bin/env bash
# Installs what the generation-proxy tests and bench need: the real agent CLIs (Claude Code, Codex) pinned in
# tools/node/package-lock.json, and nginx for the bench's comparison. Idempotent.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

if ! command -v nginx >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  if [ ! -f /tmp/.whim-apt-updated ]; then $apt_get update -qq && touch /tmp/.whim-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq nginx-light || DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq nginx
fi

cd "$repo/tools/node"
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
test -x node_modules/.bin/claude || { echo "claude CLI missing after install" >&2; exit 1; }
test -x node_modules/.bin/codex || { echo "codex CLI missing after install" >&2; exit 1; }
