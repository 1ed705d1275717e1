#!/usr/bin/env bash
# What the build itself needs: clang and zlib for Native AOT, curl for the smoke checks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
apt_install clang lld zlib1g-dev curl
