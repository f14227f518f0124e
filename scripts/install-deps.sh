#!/usr/bin/env bash
# Installs the Debian packages mriov-fabric builds and tests with. Used by the README's
# commands and by .ci/run. Skips apt when everything is already there (outside CI).
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config gcc clang libclang-rt-14-dev
  libpci-dev pciutils pci.ids libyaml-dev libuv1-dev libcmocka-dev libjson-c-dev
  libsqlite3-dev sqlite3 libsystemd-dev graphviz jq
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 && -z "${CI:-}" ]]; then
  exit 0
fi

SUDO=
if [[ $(id -u) -ne 0 ]]; then
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
