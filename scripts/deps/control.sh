#!/usr/bin/env bash
# Installs what the control API tests and bench need: PostgreSQL server binaries (initdb, pg_ctl under
# /usr/lib/postgresql/<version>/bin). The test fixture starts its own throw-away cluster on a loopback port;
# nothing here starts a service. Idempotent.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt_get="apt-get"; else apt_get="sudo apt-get"; fi
  if [ ! -f /tmp/.whim-apt-updated ]; then $apt_get update -qq && touch /tmp/.whim-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $apt_get install -y -qq --no-install-recommends postgresql
fi
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { echo "postgresql initdb missing after install" >&2; exit 1; }
# The fixture runs the server as the 'postgres' user when the tests run as root.
id postgres >/dev/null 2>&1 || { echo "user 'postgres' missing (the postgresql package creates it)" >&2; exit 1; }
