#!/usr/bin/env bash
# bench/localproxy: requests/s and p99 with wrk, in one run, for the same backend (its own nginx process) reached
# (1) directly, (2) through LocalProxy (AOT) and (3) through a second nginx as a reverse proxy (keepalive upstream,
# proxy_buffering off); plus LocalProxy's idle RSS and its CPU time per forwarded request next to the nginx peer's.
# Usage: bench/localproxy/run.sh [seconds-per-run]   Everything on loopback; bounded by the durations.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
duration="${1:-10}"
command -v wrk >/dev/null || { echo "wrk missing: run scripts/deps/previews.sh" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx missing: run scripts/deps/previews.sh" >&2; exit 1; }
bin="${WHIM_BENCH_BIN_DIR:-$(bash "$here/../aot-binaries.sh")}"
work="$(mktemp -d /tmp/whim-bench-lp-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend="$(free_port)"; viananginx="$(free_port)"; proxy="$(free_port)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

mkdir -p "$work/logs" "$work/whim/run" "$work/backend/logs"
# The backend (a dev-server stand-in answering a small page) is its own nginx: a dev server is a process of its own,
# and sharing workers with the nginx peer would let that peer hand requests to itself without a context switch.
cat > "$work/backend/nginx.conf" <<CONF
worker_processes auto;
pid $work/backend/nginx.pid;
error_log $work/backend/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  server { listen 127.0.0.1:$backend; location / { default_type text/html; return 200 "<!doctype html><title>dev</title><p>hello from the dev server</p>"; } }
}
CONF
# The peer: nginx as a reverse proxy in front of it, pooled upstream connections, no buffering.
cat > "$work/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 100000;
  upstream dev { server 127.0.0.1:$backend; keepalive 128; }
  server { listen 127.0.0.1:$viananginx; location / { proxy_pass http://dev; proxy_http_version 1.1; proxy_buffering off; proxy_set_header Connection ""; proxy_set_header Host localhost:$backend; } }
}
CONF
nginx -c "$work/backend/nginx.conf" -p "$work/backend" -g 'daemon off;' & pids+=($!)
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' & pids+=($!)

now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "{\"updatedAt\":\"$now\",\"ports\":[{\"port\":$backend,\"family\":\"ipv4\",\"address\":\"127.0.0.1\",\"pid\":0,\"process\":\"nginx\",\"command\":\"nginx\",\"firstSeen\":\"$now\",\"ready\":true}]}" > "$work/whim/run/ports.json"
WHIM_ROOT="$work" WHIM_LOG_DIR="$work/logs" "$bin/localproxy/Whim.LocalProxy" --urls "http://127.0.0.1:$proxy" > /dev/null & lp=$!; pids+=($lp)

for i in $(seq 1 300); do
  curl -fs -o /dev/null "http://127.0.0.1:$proxy/healthz" && curl -fs -o /dev/null "http://127.0.0.1:$viananginx/" && break
  sleep 0.1
done
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
idle_rss="$(rss_kb "$lp")"

# CPU time (ns, all threads) of a set of processes, from the scheduler's own accounting.
cpu_ns() { local s=0 f; for p in "$@"; do for f in /proc/"$p"/task/*/schedstat; do s=$((s + $(cut -d' ' -f1 "$f" 2>/dev/null || echo 0))); done; done; echo "$s"; }
run() { # name url host|- pid... → name requests/s p99 CPU-µs-per-request of the given processes
  local name="$1" url="$2" host="$3"; shift 3
  local before after out
  before="$(cpu_ns "$@")"
  if [ "$host" != - ]; then out="$(wrk -t2 -c32 -d"${duration}s" --latency -H "Host: $host" "$url")"; else out="$(wrk -t2 -c32 -d"${duration}s" --latency "$url")"; fi
  after="$(cpu_ns "$@")"
  local rps p99 count
  rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
  p99="$(echo "$out" | awk '$1=="99%" {print $2}')"
  count="$(echo "$out" | awk '/requests in/ {print $1}')"
  echo "$name $rps $p99 $(awk -v c="$count" -v t="$((after - before))" 'BEGIN { printf "%.1f", t / c / 1000 }')"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }

# Warm-up (JIT-free, but connection pools and caches), then the measured runs in one go.
wrk -t1 -c8 -d2s -H "Host: $backend.localhost" "http://127.0.0.1:$proxy/" > /dev/null
proxy_workers="$(pgrep -P "${pids[1]}" | tr '\n' ' ')"
read -r _ d_rps d_p99 _ < <(run direct "http://127.0.0.1:$backend/" -)
read -r _ l_rps l_p99 l_cpu < <(run localproxy "http://127.0.0.1:$proxy/" "$backend.localhost" "$lp")
# shellcheck disable=SC2086
read -r _ n_rps n_p99 n_cpu < <(run nginx "http://127.0.0.1:$viananginx/" - $proxy_workers)
loaded_rss="$(rss_kb "$lp")"

d_ms="$(to_ms "$d_p99")"; l_ms="$(to_ms "$l_p99")"; n_ms="$(to_ms "$n_p99")"
printf '%-11s %12s %10s %16s\n' "target" "requests/s" "p99 (ms)" "proxy CPU/req"
printf '%-11s %12s %10s %16s\n' direct "$d_rps" "$d_ms" "-" localproxy "$l_rps" "$l_ms" "$l_cpu µs" nginx "$n_rps" "$n_ms" "$n_cpu µs"
awk -v l="$l_rps" -v n="$n_rps" -v lm="$l_ms" -v dm="$d_ms" -v lc="$l_cpu" -v nc="$n_cpu" 'BEGIN {
  printf "LocalProxy / nginx requests/s: %.2fx (goal >= 0.9x)\n", l/n;
  printf "LocalProxy / nginx CPU per request: %.2fx\n", lc/nc;
  printf "p99 added over direct: %.2f ms (goal <= 2 ms)\n", lm-dm }'
echo "LocalProxy RSS: idle $((idle_rss / 1024)) MB (goal <= 40 MB), after load $((loaded_rss / 1024)) MB"
