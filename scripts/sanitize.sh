#!/usr/bin/env bash
# Builds everything but the agent with ASan and UBSan into build-asan/ (or
# $LEAKSPY_ASAN_BUILD_DIR) and runs the unit tests and the capture, analyze
# and render integration tests there (CTest labels `unit` and `sanitize`).
#   ./scripts/sanitize.sh            labels unit and sanitize
#   ./scripts/sanitize.sh --short    the same but the 8-thread stress of run_tests (CI)
#   ./scripts/sanitize.sh -R Report  extra arguments go to ctest
# Any sanitizer report fails the run: UBSan is built not to recover; ASan and
# UBSan abort at their first report (SIGABRT, never a code a test expects);
# LeakSanitizer checks every sanitized process at its exit; ASan's and LSan's
# reports, from the processes the tests start (bin/leakspy) too, also land in
# build-asan/sanitizer-reports/, which must stay empty. UBSan writes to
# stderr only (GCC's runtime ignores its log_path next to ASan): the abort
# fails the test, and the script also looks for reports in CTest's log.
# Installs nothing (scripts/setup.sh does).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEAKSPY_ASAN_BUILD_DIR:-$root/build-asan}"
jobs="${LEAKSPY_JOBS:-2}"

labels='unit|sanitize'
exclude=()
if [ "${1:-}" = "--short" ]; then
  shift
  # The longest test (14 s of the 2 min, 41 s on a busier machine): 8
  # threads of a target allocating 8 million blocks, drained by the
  # recorder. What it checks is the agent's (no deadlock, every event kept
  # or counted as dropped); the recorder decodes the same messages in every
  # other run test.
  exclude=(-E '^RunTest\.EightThreadsWithAMillionAllocationsEachFinishWithoutDeadlock$')
fi

mkdir -p "$build"
# -O0 for the sanitized code: GCC 12 compiles it with both sanitizers about
# 5 times faster than at -O2, and the tests spend their time in processes
# they start. The agent and the test targets keep -O2 -g.
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLEAKSPY_SANITIZE=ON \
  -DLEAKSPY_SANITIZE_OPTIMIZATION=-O0 -DLEAKSPY_BUILD_BENCH=OFF > "$build/configure.log" 2>&1 || {
  cat "$build/configure.log"
  exit 1
}
# tests_LABEL: the test binaries of a label and what they use (bin/leakspy,
# the agent, the targets); see tests/CMakeLists.txt.
cmake --build "$build" -j"$jobs" --target tests_unit tests_sanitize
built=$SECONDS

reports="$build/sanitizer-reports"
rm -rf "$reports"
mkdir -p "$reports"
common="halt_on_error=1:abort_on_error=1:print_stacktrace=1:log_path=$reports/report"
export ASAN_OPTIONS="$common:detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="$common"

status=0
ctest --test-dir "$build" --output-on-failure --timeout 600 -L "$labels" "${exclude[@]}" "$@" || status=$?

if [ -n "$(ls -A "$reports")" ]; then
  for report in "$reports"/*; do
    echo "=== $report"
    cat "$report"
  done
  echo "sanitize.sh: sanitizer reports above (also in $reports)" >&2
  [ "$status" -ne 0 ] || status=1
fi
log="$build/Testing/Temporary/LastTest.log"
if [ -f "$log" ] && grep -q -E 'runtime error: |ERROR: (Address|Leak)Sanitizer' "$log"; then
  grep -n -E 'runtime error: |ERROR: (Address|Leak)Sanitizer' "$log" | head -20
  echo "sanitize.sh: sanitizer reports in the tests' output ($log)" >&2
  [ "$status" -ne 0 ] || status=1
fi
echo "sanitize.sh: build $built s, tests $((SECONDS - built)) s"
exit "$status"
