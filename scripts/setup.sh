#!/usr/bin/env bash
# Installs the Debian packages leakspy needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and nothing runs when all are there.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libcli11-dev libelf-dev libdw-dev libunwind-dev nlohmann-json3-dev libzstd-dev
  libgtest-dev googletest
  python3 python3-torch
  chromium
  heaptrack gdb
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
