#!/usr/bin/env bash
# What the bootstrap tests need: real git (bare repository, clone, credential helper) and bash (init script, login shells).
# The agent CLIs for the `claude mcp list` / `codex mcp list` tests come from scripts/deps/genproxy.sh (tools/node).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install git bash
