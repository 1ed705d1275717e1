#!/usr/bin/env bash
# bench/ports: time from listen() to reachable through LocalProxy (20 starts), time from close to removal, and
# PortMonitor's scan cost with 2,000 and 10,000 open sockets. Usage: bench/ports/run.sh [starts]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${WHIM_BENCH_BIN_DIR:-$(bash "$here/../aot-binaries.sh")}"
exec python3 "$here/bench.py" "$bin" "${1:-20}"
