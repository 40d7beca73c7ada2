#!/usr/bin/env bash
# Benchmarks leakspy against heaptrack and an untracked run (issue 8).
#   ./scripts/bench.sh            full run, 5 interleaved runs per tool (10-15 minutes on 2 cores)
#   ./scripts/bench.sh --quick    small runs, about two minutes, for use while developing
# Extra arguments go to bench/harness.py (--help lists them). Builds into
# build-bench/ (or $LEAKSPY_BUILD_DIR; $LEAKSPY_JOBS compile jobs) without the
# tests, then writes bench/results/latest.json and bench/results/latest.md
# (README links the table). Scratch goes to the build folder. Never part of the tests.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
export LEAKSPY_BUILD_DIR="${LEAKSPY_BUILD_DIR:-$root/build-bench}"
"$root/scripts/build.sh" -DLEAKSPY_BUILD_TESTS=OFF -DLEAKSPY_BUILD_BENCH=ON
# Debian's interpreter: the one python3-torch is installed for.
exec /usr/bin/python3 "$root/bench/harness.py" --build-dir "$LEAKSPY_BUILD_DIR" "$@"
