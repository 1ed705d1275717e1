#!/usr/bin/env bash
# Publishes runtime/WhimMcp as Native AOT, builds the JIT variant, and runs bench.mjs on both.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${TMPDIR:-/tmp}/whim-mcp-bench-aot"
dotnet publish "$root/runtime/WhimMcp" -c Release -r linux-x64 -p:PublishAot=true -o "$out" >/dev/null
dotnet build "$root/runtime/WhimMcp" -c Release >/dev/null
node "$root/bench/mcp/bench.mjs" --aot "$out/Whim.WhimMcp" --jit "$root/runtime/WhimMcp/bin/Release/net10.0/Whim.WhimMcp.dll" --runs "${RUNS:-10}"
