#!/usr/bin/env bash
# Publishes the proxy as Native AOT (unless WHIM_GENPROXY_BIN points at a binary) and runs the bench.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${WHIM_GENPROXY_BIN:-}"
if [ -z "$bin" ]; then
  out="${TMPDIR:-/tmp}/whim-genproxy-bench-aot"
  dotnet publish "$repo/runtime/GenerationProxy" -c Release -r linux-x64 -p:PublishAot=true -o "$out" >/dev/null
  bin="$out/Whim.GenerationProxy"
fi
dotnet run -c Release --project "$repo/bench/genproxy" -- "$bin" "$@"
