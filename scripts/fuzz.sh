#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang into build-fuzz/ (or
# $LEAKSPY_FUZZ_BUILD_DIR), seeds a corpus per target, runs each target for
# SECONDS (default 60), one after the other on one core, and prints per target
# its executions per second, coverage and whether it crashed.
#   ./scripts/fuzz.sh              60 s per target
#   ./scripts/fuzz.sh 900          15 min per target
#   ./scripts/fuzz.sh 30 eh_frame  only the targets named
# Exits 1 when a target crashed, naming the input that did it (saved under
# build-fuzz/crashes/<target>/): copy it to tests/fuzz/regressions/<target>/
# once the cause is fixed (docs/fuzzing.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEAKSPY_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${LEAKSPY_JOBS:-2}"
seconds="${1:-60}"
shift || true
all_targets=(record_stream capture_file wire_messages eh_frame torch_batch)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DLEAKSPY_FUZZ=ON -DLEAKSPY_BUILD_BENCH=OFF > "$build/configure.log" 2>&1 || {
  cat "$build/configure.log"
  exit 1
}
# The fuzzers, their seed writer, and what records the seed captures: built
# here, unless $LEAKSPY_SEED_BUILD names a build that has them (test.sh
# passes its own, already built, which saves CI a sanitized build of leakspy).
seed_build="${LEAKSPY_SEED_BUILD:-$build}"
seed_targets=()
[ "$seed_build" != "$build" ] || seed_targets=(leakspy leakspy_agent leak_known_line cxx_counted)
cmake --build "$build" -j"$jobs" --target "${all_targets[@]/#/fuzz_}" fuzz_seeds "${seed_targets[@]}"

# Seeds: real captures of two short programs (and their own CFI), the
# streams fuzz_seeds builds as the agent would, and every regression input.
corpus="$build/corpus"
captures="$build/seed-captures"
mkdir -p "$captures"
for program in leak_known_line cxx_counted; do
  if [ ! -s "$captures/$program.lspy" ]; then
    "$seed_build/bin/leakspy" run -o "$captures/$program.lspy" -- "$seed_build/tests/targets/$program" \
      > "$captures/$program.log" 2>&1 || {
      cat "$captures/$program.log"
      echo "fuzz: recording the seed capture of $program failed" >&2
      exit 1
    }
  fi
done
"$build/fuzz/fuzz_seeds" "$corpus" \
  --capture "$captures/leak_known_line.lspy" --capture "$captures/cxx_counted.lspy" \
  --elf "$seed_build/tests/targets/leak_known_line" --elf "$seed_build/tests/targets/cxx_counted"
for target in "${all_targets[@]}"; do
  mkdir -p "$corpus/$target"
  cp "$root/tests/fuzz/regressions/$target"/* "$corpus/$target/" 2>/dev/null || true
done

# One target at a time, one process each: the machine is shared.
status=0
summary=()
for target in "${targets[@]}"; do
  crashes="$build/crashes/$target"
  log="$build/logs/$target.log"
  mkdir -p "$crashes" "$(dirname "$log")"
  rm -f "$crashes"/*
  echo "fuzz: $target for ${seconds}s ..."
  rc=0
  "$build/fuzz/fuzz_$target" "$corpus/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$crashes/" > "$log" 2>&1 || rc=$?
  # The last status line: "#N DONE cov: C ft: F corp: K/B ... exec/s: E ...".
  last="$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)"
  field() { sed -nE "s/.* $1: ([^ ]+).*/\\1/p" <<< "$last"; }
  runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log")"
  speed="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log")"
  artifact="$(ls "$crashes" 2>/dev/null | head -n 1 || true)"
  line="$(printf '%-14s exec/s %-7s runs %-10s cov %-6s ft %-7s corpus %s' "$target" "${speed:-$(field exec/s)}" \
    "${runs:-?}" "$(field cov)" "$(field ft)" "$(field corp)")"
  if [ "$rc" -ne 0 ] || [ -n "$artifact" ]; then
    status=1
    line="$line  CRASHED (exit $rc): ${artifact:+$crashes/$artifact} (log: $log)"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" | head -n 3 >&2 || true
  else
    line="$line  ok"
  fi
  echo "fuzz: $line"
  summary+=("$line")
done

echo
echo "fuzz: ${seconds}s per target (logs in $build/logs):"
printf '  %s\n' "${summary[@]}"
exit "$status"
