#!/usr/bin/env bash
# bench/localproxy: requests/s and p99 with wrk, in one run, for the same backend (its own nginx process) reached
# (1) directly, (2) through LocalProxy (AOT; and a second instance with its HTTP/1.1 fast path off, every request
# through Kestrel and YARP), (3) through a second nginx as a reverse proxy (keepalive upstream,
# proxy_buffering off, X-Forwarded-* set like LocalProxy), (4) through stock YARP (AOT, defaults: the anchor the issue
# names), (5) a Kestrel server answering the page itself (no forwarding: the floor of any Kestrel-based proxy) and
# (6) a raw-socket relay with no HTTP at all (the floor of a .NET proxy on .NET's socket engine: valid only for this
# bench's traffic) and (7) the same relay on an epoll loop of its own (what .NET costs with nginx's socket layer);
# plus the CPU time each proxy spends per forwarded request, LocalProxy's idle RSS and its RSS holding 500 connections
# (400 keep-alive HTTP, 100 WebSockets echoing through it to a WebSocket dev-server stand-in).
# Usage: bench/localproxy/run.sh [seconds-per-run]   Everything on loopback; bounded by the durations.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
duration="${1:-10}"
command -v wrk >/dev/null || { echo "wrk missing: run scripts/deps/previews.sh" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx missing: run scripts/deps/previews.sh" >&2; exit 1; }
bin="${WHIM_BENCH_BIN_DIR:-$(bash "$here/../aot-binaries.sh" LocalProxy)}"

# The .NET peers (bench/localproxy/Peer), published AOT like LocalProxy and reused while their sources are unchanged.
peer_dir="$repo/artifacts/aot/localproxy-peer"
peer_stamp="$(cd "$repo" && cat bench/localproxy/Peer/*.cs bench/localproxy/Peer/*.csproj Directory.Build.props Directory.Packages.props | sha1sum | cut -c1-16)"
if [ ! -x "$peer_dir/Whim.Bench.LocalProxyPeer" ] || [ "$(cat "$peer_dir/.stamp" 2>/dev/null)" != "$peer_stamp" ]; then
  dotnet publish "$here/Peer" -c Release -r linux-x64 -p:PublishAot=true -o "$peer_dir" >&2
  echo "$peer_stamp" > "$peer_dir/.stamp"
fi
peer="$peer_dir/Whim.Bench.LocalProxyPeer"

work="$(mktemp -d /tmp/whim-bench-lp-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
backend="$(free_port)"; viananginx="$(free_port)"; proxy="$(free_port)"; yarp="$(free_port)"; kestrel="$(free_port)"; relay="$(free_port)"; wsport="$(free_port)"; proxy_yarp="$(free_port)"; erelay="$(free_port)"
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
  server { listen 127.0.0.1:$viananginx; location / { proxy_pass http://dev; proxy_http_version 1.1; proxy_buffering off; proxy_set_header Connection ""; proxy_set_header Host localhost:$backend;
    proxy_set_header X-Forwarded-For \$remote_addr; proxy_set_header X-Forwarded-Proto \$scheme; proxy_set_header X-Forwarded-Host \$host; } }
}
CONF
nginx -c "$work/backend/nginx.conf" -p "$work/backend" -g 'daemon off;' & pids+=($!)
nginx -c "$work/nginx.conf" -p "$work" -g 'daemon off;' & pids+=($!)
"$peer" yarp "http://127.0.0.1:$yarp" "http://127.0.0.1:$backend/" > "$work/logs/yarp.log" 2>&1 & yarp_pid=$!; pids+=($yarp_pid)
"$peer" kestrel "http://127.0.0.1:$kestrel" > "$work/logs/kestrel.log" 2>&1 & kestrel_pid=$!; pids+=($kestrel_pid)
"$peer" relay "$relay" "$backend" > "$work/logs/relay.log" 2>&1 & relay_pid=$!; pids+=($relay_pid)
"$peer" epoll-relay "$erelay" "$backend" > "$work/logs/epoll-relay.log" 2>&1 & erelay_pid=$!; pids+=($erelay_pid)
python3 "$here/connections.py" ws-echo "$wsport" & pids+=($!)

now="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "{\"updatedAt\":\"$now\",\"ports\":[{\"port\":$backend,\"family\":\"ipv4\",\"address\":\"127.0.0.1\",\"pid\":0,\"process\":\"nginx\",\"command\":\"nginx\",\"firstSeen\":\"$now\",\"ready\":true},{\"port\":$wsport,\"family\":\"ipv4\",\"address\":\"127.0.0.1\",\"pid\":0,\"process\":\"python3\",\"command\":\"python3 connections.py ws-echo\",\"firstSeen\":\"$now\",\"ready\":true}]}" > "$work/whim/run/ports.json"
WHIM_ROOT="$work" WHIM_LOG_DIR="$work/logs" "$bin/localproxy/Whim.LocalProxy" --urls "http://127.0.0.1:$proxy" > /dev/null & lp=$!; pids+=($lp)
WHIM_ROOT="$work" WHIM_LOG_DIR="$work/logs-yarp" WHIM_LOCALPROXY__FASTPATH=false "$bin/localproxy/Whim.LocalProxy" --urls "http://127.0.0.1:$proxy_yarp" > /dev/null & lpy=$!; pids+=($lpy)

for i in $(seq 1 300); do
  curl -fs -o /dev/null "http://127.0.0.1:$proxy/healthz" && curl -fs -o /dev/null "http://127.0.0.1:$proxy_yarp/healthz" && curl -fs -o /dev/null "http://127.0.0.1:$viananginx/" \
    && curl -fs -o /dev/null "http://127.0.0.1:$yarp/" && curl -fs -o /dev/null "http://127.0.0.1:$kestrel/" \
    && curl -fs -o /dev/null "http://127.0.0.1:$relay/" && curl -fs -o /dev/null "http://127.0.0.1:$erelay/" \
    && curl -fs -o /dev/null -H "Host: $wsport.localhost" "http://127.0.0.1:$proxy/" && break
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
light_p99() { # url host|- → p99 at a light load (one connection, one request at a time): the proxy's own latency
  local url="$1" host="$2" out
  if [ "$host" != - ]; then out="$(wrk -t1 -c1 -d5s --latency -H "Host: $host" "$url")"; else out="$(wrk -t1 -c1 -d5s --latency "$url")"; fi
  echo "$(echo "$out" | awk '/Requests\/sec/ {print $2}') $(echo "$out" | awk '$1=="99%" {print $2}')"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else if (v ~ /ms$/) { sub(/ms$/,"",v); print v+0 } else if (v ~ /s$/) { sub(/s$/,"",v); print v*1000 } else print v }'; }

# Warm-up (connection pools and caches; every binary is AOT), then the measured runs in one go.
wrk -t1 -c8 -d2s -H "Host: $backend.localhost" "http://127.0.0.1:$proxy/" > /dev/null
wrk -t1 -c8 -d2s -H "Host: $backend.localhost" "http://127.0.0.1:$proxy_yarp/" > /dev/null
wrk -t1 -c8 -d2s "http://127.0.0.1:$yarp/" > /dev/null
proxy_workers="$(pgrep -P "${pids[1]}" | tr '\n' ' ')"
read -r _ d_rps d_p99 _ < <(run direct "http://127.0.0.1:$backend/" -)
read -r _ k_rps k_p99 k_cpu < <(run kestrel "http://127.0.0.1:$kestrel/" - "$kestrel_pid")
read -r _ l_rps l_p99 l_cpu < <(run localproxy "http://127.0.0.1:$proxy/" "$backend.localhost" "$lp")
read -r _ ly_rps ly_p99 ly_cpu < <(run localproxy-yarp "http://127.0.0.1:$proxy_yarp/" "$backend.localhost" "$lpy")
# shellcheck disable=SC2086
read -r _ n_rps n_p99 n_cpu < <(run nginx "http://127.0.0.1:$viananginx/" - $proxy_workers)
read -r _ y_rps y_p99 y_cpu < <(run yarp "http://127.0.0.1:$yarp/" - "$yarp_pid")
read -r _ r_rps r_p99 r_cpu < <(run relay "http://127.0.0.1:$relay/" - "$relay_pid")
read -r _ e_rps e_p99 e_cpu < <(run epoll-relay "http://127.0.0.1:$erelay/" - "$erelay_pid")
loaded_rss="$(rss_kb "$lp")"
# At saturation every connection waits its turn (Little's law: 32 connections / requests/s), so the p99 above mostly
# restates requests/s; the latency a proxy adds is read at a light load, where nothing queues.
read -r d_light_rps d_light < <(light_p99 "http://127.0.0.1:$backend/" -)
read -r l_light_rps l_light < <(light_p99 "http://127.0.0.1:$proxy/" "$backend.localhost")
read -r n_light_rps n_light < <(light_p99 "http://127.0.0.1:$viananginx/" -)
d_light="$(to_ms "$d_light")"; l_light="$(to_ms "$l_light")"; n_light="$(to_ms "$n_light")"

# 500 connections held open through LocalProxy: 400 keep-alive HTTP (each answered once) and 100 WebSockets (each
# echoed once, and again before closing).
coproc HOLD { python3 "$here/connections.py" hold "$proxy" "$backend" "$wsport" 400 100; }
read -r opened <&"${HOLD[0]}" || { echo "connections.py could not open the 500 connections" >&2; exit 1; }
held_rss="$(rss_kb "$lp")"
held_fds="$(find "/proc/$lp/fd" -mindepth 1 | wc -l)"
eval "exec ${HOLD[1]}>&-"
read -r closed <&"${HOLD[0]}" || { echo "connections.py: a WebSocket stopped echoing" >&2; exit 1; }

d_ms="$(to_ms "$d_p99")"; k_ms="$(to_ms "$k_p99")"; l_ms="$(to_ms "$l_p99")"; ly_ms="$(to_ms "$ly_p99")"; n_ms="$(to_ms "$n_p99")"; y_ms="$(to_ms "$y_p99")"; r_ms="$(to_ms "$r_p99")"; e_ms="$(to_ms "$e_p99")"
echo "saturating load: wrk -t2 -c32, ${duration} s per target"
printf '%-22s %12s %10s %14s\n' "target" "requests/s" "p99 (ms)" "CPU/request"
printf '%-22s %12s %10s %14s\n' direct "$d_rps" "$d_ms" "-" "kestrel (no forwarding)" "$k_rps" "$k_ms" "$k_cpu µs" \
  localproxy "$l_rps" "$l_ms" "$l_cpu µs" "localproxy, yarp path" "$ly_rps" "$ly_ms" "$ly_cpu µs" nginx "$n_rps" "$n_ms" "$n_cpu µs" "stock yarp" "$y_rps" "$y_ms" "$y_cpu µs" \
  "relay (no HTTP)" "$r_rps" "$r_ms" "$r_cpu µs" "relay, own epoll loop" "$e_rps" "$e_ms" "$e_cpu µs"
awk -v l="$l_rps" -v ly="$ly_rps" -v n="$n_rps" -v y="$y_rps" -v r="$r_rps" -v e="$e_rps" -v lm="$l_ms" -v dm="$d_ms" -v lc="$l_cpu" -v nc="$n_cpu" -v yc="$y_cpu" 'BEGIN {
  printf "LocalProxy / nginx requests/s: %.2fx (goal >= 0.9x); stock YARP / nginx: %.2fx\n", l/n, y/n;
  printf "LocalProxy / stock YARP requests/s: %.2fx; the no-HTTP .NET relay / nginx: %.2fx (on its own epoll loop: %.2fx)\n", l/y, r/n, e/n;
  printf "LocalProxy with the fast path off (every request through YARP) / nginx: %.2fx\n", ly/n;
  printf "CPU per request, LocalProxy / nginx: %.2fx; LocalProxy / stock YARP: %.2fx\n", lc/nc, lc/yc;
  printf "p99 added over direct at saturation: %.2f ms\n", lm-dm }'
awk -v d="$d_light" -v l="$l_light" -v n="$n_light" -v dr="$d_light_rps" -v lr="$l_light_rps" -v nr="$n_light_rps" 'BEGIN {
  printf "light load (wrk -t1 -c1) p99: direct %.3f ms, LocalProxy %.3f ms, nginx %.3f ms\n", d, l, n;
  printf "light load requests/s: direct %.0f, LocalProxy %.0f, nginx %.0f (LocalProxy / nginx %.2fx)\n", dr, lr, nr, lr/nr;
  printf "p99 LocalProxy adds over direct: %.3f ms (goal <= 2 ms); nginx adds %.3f ms\n", l-d, n-d }'
echo "LocalProxy RSS: idle $((idle_rss / 1024)) MB (goal <= 40 MB), after the load $((loaded_rss / 1024)) MB"
read -r _ open_http open_ws <<< "$opened"
echo "LocalProxy RSS holding 500 connections ($open_http keep-alive HTTP + $open_ws WebSockets, each answered; WebSockets still echoing at the end: ${closed##* }): $((held_rss / 1024)) MB (goal <= 80 MB), $held_fds descriptors"
