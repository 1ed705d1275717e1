#!/usr/bin/env bash
# bench/bootstrap: `whim start` from the services' first launch to all four ready on /readyz (clone and init.sh
# excluded: they ran in a warm-up start), AOT binaries vs the JIT build, median over N starts, and the four
# services' total RSS after start. Usage: bench/bootstrap/run.sh [starts] (default 10).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
aot="${WHIM_BENCH_BIN_DIR:-$(bash "$repo/bench/aot-binaries.sh" BackupAgent LocalProxy PortMonitor GenerationProxy Bootstrap)}"
# The JIT peer runs the services' Release builds (WHIM_BENCH_SKIP_BUILD=1 takes the newest existing build instead).
if [ "${WHIM_BENCH_SKIP_BUILD:-}" != 1 ]; then
  for p in bootstrap runtime/BackupAgent runtime/LocalProxy runtime/PortMonitor runtime/GenerationProxy runtime/WhimMcp; do
    dotnet build -c Release "$repo/$p" >/dev/null
  done
fi
exec python3 "$here/bench.py" "$repo" "$aot" "${1:-10}"
