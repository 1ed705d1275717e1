#!/usr/bin/env bash
# Installs what the Whim MCP tests and bench need: the MCP TypeScript SDK client (npm @modelcontextprotocol/sdk, pinned
# by tools/mcp-client/package-lock.json) into tools/mcp-client/node_modules. Needs node >= 18 and npm. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
client="$here/tools/mcp-client"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  if [ ! -f /tmp/.whim-apt-updated ]; then $apt_get update -qq && touch /tmp/.whim-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends nodejs npm
fi

if [ ! -f "$client/node_modules/@modelcontextprotocol/sdk/package.json" ]; then
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi
node -e "require('$client/node_modules/@modelcontextprotocol/sdk/package.json')" || { echo "@modelcontextprotocol/sdk missing after install" >&2; exit 1; }
