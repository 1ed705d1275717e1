#!/usr/bin/env bash
# Makes the local base image the image tests build from and run: Debian bookworm (minbase) via debootstrap from
# the apt mirror, imported into podman's vfs storage. No registry is involved. Cached: does nothing when the image
# exists. Serialised with flock so parallel test runs share one fixture.
# Usage: scripts/images/base-image.sh [image-name]   (default localhost/whim-test-base:bookworm)
set -euo pipefail
image="${1:-localhost/whim-test-base:bookworm}"
conf="${CONTAINERS_CONF:-/tmp/whim-images-containers.conf}"
if [ ! -f "$conf" ]; then
  printf '[containers]\ndefault_ulimits = []\n' > "$conf"
fi
export CONTAINERS_CONF="$conf"
podman_() { podman --storage-driver vfs --runtime runc "$@"; }

exec 9>/tmp/whim-images-base.lock
flock 9
if podman_ image exists "$image"; then
  exit 0
fi

mirror=$(grep -rhoE 'https?://[^ ]+/debian/?$|URIs: *https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
  | sed -E "s/^URIs: *//" | head -1 || true)
mirror="${mirror:-http://deb.debian.org/debian}"
root=$(mktemp -d /tmp/whim-debootstrap.XXXXXX)
trap 'rm -rf "$root"' EXIT
echo "base-image: debootstrap --variant=minbase bookworm from $mirror (takes minutes)" >&2
debootstrap --variant=minbase bookworm "$root" "$mirror" >/tmp/whim-debootstrap.log 2>&1 \
  || { tail -20 /tmp/whim-debootstrap.log >&2; exit 1; }
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
tar -C "$root" -c . | podman_ import --change 'CMD ["/bin/bash"]' - "$image" >/dev/null
echo "base-image: imported $image" >&2
