#!/usr/bin/env bash
# Publishes the Native AOT binaries of PortMonitor and LocalProxy into artifacts/aot/ (once; reused while the
# sources are unchanged) and prints the folder. The benches measure what ships: the AOT binaries.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/artifacts/aot"
stamp="$(cd "$repo" && git ls-files -s runtime/PortMonitor runtime/LocalProxy runtime/Kernel | sha1sum | cut -c1-12)$(cd "$repo" && git diff --quiet -- runtime || echo dirty)"
if [ ! -x "$out/portmonitor/Whim.PortMonitor" ] || [ ! -x "$out/localproxy/Whim.LocalProxy" ] || [ "$(cat "$out/stamp" 2>/dev/null)" != "$stamp" ]; then
  for p in PortMonitor LocalProxy; do
    lower="$(echo "$p" | tr 'A-Z' 'a-z')"
    dotnet publish "$repo/runtime/$p" -c Release -r linux-x64 -p:PublishAot=true -o "$out/$lower" >&2
  done
  echo "$stamp" > "$out/stamp"
fi
echo "$out"
