#!/usr/bin/env bash
# Installs the Debian packages leakspy needs to build, test, fuzz and benchmark
# (clang and its runtimes, a recommendation apt would skip here: scripts/fuzz.sh).
# Idempotent: packages already present are skipped, and nothing is installed when all are there.
# Then builds the integration tests' root file systems (scripts/setup-roots.sh) unless
# LEAKSPY_SKIP_ROOTS=1.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  clang libclang-rt-14-dev
  libcli11-dev libelf-dev libdw-dev libunwind-dev nlohmann-json3-dev libzstd-dev
  libgtest-dev googletest
  python3 python3-torch
  chromium
  heaptrack gdb
  debuginfod
  debootstrap
  redis-server redis-tools gunicorn python3-flask nginx-light
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
else
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ "${LEAKSPY_SKIP_ROOTS:-0}" != 1 ]; then "$(dirname "${BASH_SOURCE[0]}")/setup-roots.sh"; fi
