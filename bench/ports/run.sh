#!/usr/bin/env bash
# bench/ports: time from listen() to reachable through LocalProxy (20 starts), time from close to removal, and
# PortMonitor's scan cost with 2,000 and 10,000 open sockets. Usage: bench/ports/run.sh [starts]
# Runs in a network namespace of its own when it may (root: unshare -n), as in a container: only the bench's
# sockets exist, so other users' listeners on a shared machine do not set the monitor looking for their owners.
# WHIM_BENCH_SHARED_NETNS=1 keeps the machine's namespace.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${WHIM_BENCH_BIN_DIR:-$(bash "$here/../aot-binaries.sh")}"
if [ "${WHIM_BENCH_SHARED_NETNS:-0}" != 1 ] && unshare -n true 2>/dev/null && command -v ip >/dev/null; then
  echo "network namespace: the bench's own (loopback only)"
  exec unshare -n sh -c 'ip link set lo up && exec python3 "$0" "$1" "$2"' "$here/bench.py" "$bin" "${1:-20}"
fi
echo "network namespace: the machine's (other users' listeners come and go)"
exec python3 "$here/bench.py" "$bin" "${1:-20}"
