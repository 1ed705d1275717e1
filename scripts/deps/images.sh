#!/usr/bin/env bash
# Images & warm reserves (control/Images): a real builder (buildah), a machine provider (podman + runc),
# and debootstrap to make the local base image the tests build from (no registry is reachable).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install buildah podman runc debootstrap uidmap fuse-overlayfs
