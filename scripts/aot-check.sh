#!/usr/bin/env bash
# Publishes every runtime service and bootstrap as Native AOT, fails on any IL2xxx/IL3xxx (or other) warning, then
# starts each binary: HTTP services must answer /healthz and exit 0 on SIGTERM, the stdio MCP server must answer
# `initialize`, bootstrap must print its help. One result line per check goes to <out>/results.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-.ci-out/aot}"
rm -rf "$out" && mkdir -p "$out"
results="$out/results.txt"
: > "$results"

record() { # status name detail
  echo "$1 $2${3:+ $3}" >> "$results"
  echo "aot: $1 $2${3:+ ($3)}"
}

publish() { # name project-dir
  local name=$1 dir=$2 log="$out/$1.publish.log"
  if ! dotnet publish "$dir" -c Release -r linux-x64 -p:PublishAot=true -p:StripSymbols=true \
      -o "$out/$name" -nologo -clp:NoSummary > "$log" 2>&1; then
    record failed "publish:$name" "see $log"; tail -20 "$log"; return 1
  fi
  if grep -E "warning (IL[23][0-9]{3}|[A-Z]+[0-9]+)" "$log" | grep -v "^\s*$" > "$out/$name.warnings"; then
    record failed "publish:$name" "$(wc -l < "$out/$name.warnings") warning(s)"; cat "$out/$name.warnings"; return 1
  fi
  record passed "publish:$name" "$(du -h "$out/$name/Whim.$name" 2>/dev/null | cut -f1)"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

smoke_http() { # name
  local name=$1 port root pid code=1
  port=$(free_port); root=$(mktemp -d)
  WHIM_ROOT="$root" "$out/$name/Whim.$name" --urls "http://127.0.0.1:$port" > "$out/$name.smoke.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 200); do
    if curl -fsS "http://127.0.0.1:$port/healthz" > /dev/null 2>&1; then code=0; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  if [ $code -ne 0 ]; then
    kill -9 $pid 2>/dev/null; record failed "smoke:$name" "no /healthz"; tail -5 "$out/$name.smoke.log"; return 1
  fi
  local rss; rss=$(awk '/VmRSS/ {print $2" kB"}' /proc/$pid/status)
  kill -TERM $pid; wait $pid; code=$?
  rm -rf "$root"
  if [ $code -ne 0 ]; then record failed "smoke:$name" "exit $code after SIGTERM"; return 1; fi
  record passed "smoke:$name" "healthz ok, idle RSS $rss, clean SIGTERM exit"
}

smoke_mcp() {
  local root answer; root=$(mktemp -d)
  # stdin stays open a moment after the request, as a real client keeps it: at end of input the server shuts down.
  answer=$({ printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"ci","version":"1"}}}'; sleep 3; } \
    | WHIM_ROOT="$root" timeout 20 "$out/WhimMcp/Whim.WhimMcp" 2> "$out/WhimMcp.smoke.log" | head -1)
  rm -rf "$root"
  if echo "$answer" | grep -q '"serverInfo":{"name":"whim"'; then
    record passed "smoke:WhimMcp" "initialize answered"
  else
    record failed "smoke:WhimMcp" "no initialize answer: ${answer:0:200}"; return 1
  fi
}

smoke_bootstrap() {
  if "$out/Bootstrap/Whim.Bootstrap" --help > "$out/Bootstrap.smoke.log" 2>&1; then
    record passed "smoke:Bootstrap" "help printed"
  else
    record failed "smoke:Bootstrap" "--help failed"; return 1
  fi
}

for svc in GenerationProxy LocalProxy PortMonitor BackupAgent; do
  publish "$svc" "runtime/$svc" && smoke_http "$svc"
done
publish WhimMcp runtime/WhimMcp && smoke_mcp
publish Bootstrap bootstrap && smoke_bootstrap

! grep -q '^failed' "$results"
