#!/usr/bin/env bash
# Ensures the Debian packages the test suite needs are installed. Idempotent: it only runs
# apt-get (update + install) when dpkg says something is missing. Must run as root.
set -euo pipefail

# The one list of system packages. Add new needs here.
PACKAGES=(
  postgresql
  python3-openstackclient
  python3-zunclient
  iproute2
  nftables
  docker.io      # the isolated test engine (scripts/dockerd.sh)
  busybox-static # the one binary of the test image (packages/host-images busybox-image.ts)
)

die() {
  echo "system-deps: $*" >&2
  exit 1
}

is_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  is_installed "$pkg" || missing+=("$pkg")
done

if ((${#missing[@]} == 0)); then
  echo "system-deps: all present (${PACKAGES[*]})" >&2
  exit 0
fi

[[ $EUID -eq 0 ]] || die "missing ${missing[*]}; run as root to install them"

echo "system-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q || die "apt-get update failed"
apt-get install -y -q --no-install-recommends "${missing[@]}" ||
  die "apt-get install failed for: ${missing[*]}"

for pkg in "${missing[@]}"; do
  is_installed "$pkg" || die "$pkg is still not installed after apt-get install"
done
echo "system-deps: installed ${missing[*]}" >&2
