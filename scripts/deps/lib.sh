# Sourced by scripts/deps/*.sh: install Debian packages only when missing, refreshing the index once per run.
# shellcheck shell=bash
apt_install() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local marker="${TMPDIR:-/tmp}/whim-apt-updated-$(date +%Y%m%d)"
  if [ ! -f "$marker" ]; then
    apt-get update -qq && touch "$marker"
  fi
  echo "deps: apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
