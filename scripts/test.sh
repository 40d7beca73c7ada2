#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test through CTest.
#   ./scripts/test.sh            everything
#   ./scripts/test.sh -L unit    only one label (extra arguments go to ctest)
# In CI (CI=true) each fuzz target then runs for 30 seconds (scripts/fuzz.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build="${LEAKSPY_BUILD_DIR:-$root/build}"
# -j1: integration tests measure and record real processes; on a 2-core
# machine running them side by side only makes them slower and noisier.
ctest --test-dir "$build" --output-on-failure --timeout 600 "$@"
if [ "${CI:-}" = true ]; then "$root/scripts/sanitize.sh" --short; fi  # CI: the ASan+UBSan build too
if [ "${CI:-}" = true ]; then
  # A short run: a decoder change that crashes on the seeds or within
  # seconds of them fails CI; the long runs are docs/fuzzing.md's.
  LEAKSPY_SEED_BUILD="$build" "$root/scripts/fuzz.sh" 30
fi
