#!/usr/bin/env bash
# Configures and builds leakspy into build/ (or $LEAKSPY_BUILD_DIR).
# Used by test.sh, demo.sh and bench.sh; installs nothing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEAKSPY_BUILD_DIR:-$root/build}"
jobs="${LEAKSPY_JOBS:-2}"
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" > "$build/configure.log" 2>&1 || {
  cat "$build/configure.log"
  exit 1
}
cmake --build "$build" -j"$jobs"
