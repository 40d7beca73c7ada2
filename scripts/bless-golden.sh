#!/usr/bin/env bash
# Re-blesses the renderers' golden files (tests/golden/) from the current code:
# builds the render tests, runs the golden ones with LEAKSPY_BLESS_GOLDEN=1 so
# that they write their output instead of comparing it, then shows what changed.
# Review the diff before committing it: it is the new look of every format.
#   ./scripts/bless-golden.sh            (build dir: build/ or $LEAKSPY_BUILD_DIR)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEAKSPY_BUILD_DIR:-$root/build}"
jobs="${LEAKSPY_JOBS:-2}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo > /dev/null
fi
cmake --build "$build" -j"$jobs" --target render_tests
LEAKSPY_BLESS_GOLDEN=1 "$build/tests/render_tests" --gtest_filter='*Golden*'
# The blessed files must now pass as they are.
"$build/tests/render_tests" --gtest_filter='*Golden*' > /dev/null
git -C "$root" status --short -- tests/golden
git -C "$root" --no-pager diff --stat -- tests/golden
