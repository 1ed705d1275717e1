#!/usr/bin/env bash
# Publishes the Native AOT binaries of the runtime services into artifacts/aot/<lower-case name>/ and prints
# artifacts/aot. Usage: bench/aot-binaries.sh [Project...] (default: BackupAgent LocalProxy PortMonitor GenerationProxy;
# a name is runtime/<Name>, or a top-level folder such as Bootstrap for bootstrap/).
# Each binary is reused while its sources are unchanged: a stamp per service hashes the tracked files of its project,
# the kernel and the build props (index blobs), their uncommitted changes and their untracked files.
# The benches and the bootstrap tests measure what ships: the AOT binaries.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$repo/artifacts/aot"
projects=("$@")
[ ${#projects[@]} -gt 0 ] || projects=(BackupAgent LocalProxy PortMonitor GenerationProxy)

folder_of() { if [ -d "$repo/runtime/$1" ]; then echo "runtime/$1"; else echo "$1" | tr 'A-Z' 'a-z'; fi; }

stamp_of() {
  local paths=("$(folder_of "$1")" runtime/Kernel Directory.Build.props Directory.Packages.props)
  (
    cd "$repo"
    git ls-files -s -- "${paths[@]}"
    git diff HEAD -- "${paths[@]}"
    git ls-files --others --exclude-standard -z -- "${paths[@]}" | xargs -0 -r sha1sum
  ) | sha1sum | cut -c1-16
}

for p in "${projects[@]}"; do
  folder="$(folder_of "$p")"
  [ -d "$repo/$folder" ] || { echo "aot-binaries: no project runtime/$p or $folder" >&2; exit 2; }
  lower="$(echo "$p" | tr 'A-Z' 'a-z')"
  stamp="$(stamp_of "$p")"
  if [ ! -x "$out/$lower/Whim.$p" ] || [ "$(cat "$out/$lower/.stamp" 2>/dev/null)" != "$stamp" ]; then
    started=$SECONDS
    dotnet publish "$repo/$folder" -c Release -r linux-x64 -p:PublishAot=true -o "$out/$lower" >&2
    echo "$stamp" > "$out/$lower/.stamp"
    echo "aot-binaries: published $p in $((SECONDS - started)) s" >&2
  fi
done
echo "$out"
