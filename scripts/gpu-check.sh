#!/usr/bin/env bash
# The end-to-end GPU check (issue 7), for a machine with an NVIDIA GPU; CI has
# none and runs the stand-in tests instead (tests/integration/cuda_run_test.cpp).
# Builds leakspy (or reuses $LEAKSPY_BUILD_DIR), then records
#   (a) a CUDA C program that leaks cuMemAlloc from a known line (nvcc),
#   (b) a PyTorch script that leaks a CUDA tensor per request,
#   (c) the same with PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True,
# each with `leakspy run` and by attaching mid-run (`leakspy record --pid`),
# and checks that `leakspy top --heap cuda` names the leaking line with the
# right bytes and that the target finished normally. For PyTorch it also
# checks the tensor level: `leakspy top --heap torch` (cuda:0/torch, from
# PyTorch's memory history) names the line with exactly the leaked tensors'
# bytes.
# Without a GPU it says so and exits 0; without PyTorch+CUDA, (b) and (c) are
# skipped with the reason. Exit 1 when a check fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${LEAKSPY_BUILD_DIR:-$root/build}"
targets="$root/tests/targets/gpu"
failures=0
pass() { echo "gpu-check: PASS: $*"; }
fail() { echo "gpu-check: FAIL: $*"; failures=$((failures + 1)); }
skip() { echo "gpu-check: SKIP: $*"; }

if ! command -v nvidia-smi > /dev/null 2>&1; then
  skip "no NVIDIA GPU here (nvidia-smi not found): nothing checked"
  exit 0
fi
if ! nvidia-smi -L 2> /dev/null | grep -q '^GPU '; then
  skip "no NVIDIA GPU here (nvidia-smi lists no device): nothing checked"
  exit 0
fi
nvidia-smi -L

if [[ ! -x "$build/bin/leakspy" || ! -f "$build/lib/libleakspy_agent.so" ]] ||
   ! grep -q '^LEAKSPY_WITH_CUDA:INTERNAL=ON' "$build/CMakeCache.txt" 2> /dev/null; then
  LEAKSPY_BUILD_DIR="$build" "$root/scripts/build.sh" || { echo "gpu-check: build failed"; exit 1; }
fi
if ! grep -q '^LEAKSPY_WITH_CUDA:INTERNAL=ON' "$build/CMakeCache.txt"; then
  echo "gpu-check: FAIL: leakspy was built without CUDA support (see $build/configure.log)"
  exit 1
fi
leakspy="$build/bin/leakspy"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

line_of() { grep -n 'LEAK' "$1" | head -1 | cut -d: -f1; }

# check_top CAPTURE FILE:LINE MIN MAX WHAT [HEAP]: the `top --heap HEAP`
# (default cuda) row of FILE:LINE holds between MIN and MAX live bytes.
check_top() {
  local capture="$1" location="$2" min="$3" max="$4" what="$5" heap="${6:-cuda}"
  local table
  table="$("$leakspy" top "$capture" --heap "$heap" --bytes -n 10 2>&1)"
  while IFS= read -r row; do echo "    $row"; done <<< "$table"
  local live
  live="$(echo "$table" | awk -v at="$location" 'index($0, at) { print $1; exit }')"
  if [[ -z "$live" ]]; then
    fail "$what: top --heap $heap does not name $location"
  elif ((live < min || live > max)); then
    fail "$what: $location holds $live bytes, expected $min..$max"
  else
    pass "$what: $location holds $live live bytes (--heap $heap)"
  fi
}

# wait_then_go ERR GO: once leakspy's stderr ERR says the tensor level is on
# (or after 60 s), creates GO, the file the target waits for. Without
# $WAIT_FOR_TENSORS it only waits for CUPTI (attach_mode does that).
wait_then_go() {
  local err="$1" go="$2"
  if [[ -n "${WAIT_FOR_TENSORS:-}" ]]; then
    for _ in $(seq 600); do grep -q 'recording CUDA tensors' "$err" 2> /dev/null && break; sleep 0.1; done
  fi
  touch "$go"
}

# run_mode NAME COMMAND...: leakspy run; the target must print "leaked" and
# exit 0. With $WAIT_FOR_TENSORS the target waits (--wait-file) until the
# tensor level is on.
run_mode() {
  local name="$1"
  shift
  echo "== $name: leakspy run"
  local extra=() waiter=""
  if [[ -n "${WAIT_FOR_TENSORS:-}" ]]; then
    extra=(--wait-file "$work/$name.go")
    wait_then_go "$work/$name.err" "$work/$name.go" &
    waiter=$!
  fi
  local status=0
  "$leakspy" run -o "$work/$name.lspy" -- "$@" "${extra[@]}" > "$work/$name.out" 2> "$work/$name.err" || status=$?
  [[ -n "$waiter" ]] && wait "$waiter"
  if ((status == 0)) && grep -q '^leaked' "$work/$name.out"; then
    pass "$name: target finished normally ($(grep '^leaked' "$work/$name.out"))"
    grep '^leakspy:' "$work/$name.err" | sed 's/^/    /'
    return 0
  fi
  fail "$name: target or leakspy failed"
  sed 's/^/    /' "$work/$name.out" "$work/$name.err"
  return 1
}

# attach_mode NAME COMMAND...: the target waits for a file after "ready";
# leakspy attaches, the file appears once CUPTI is in the target, then the
# target serves its requests and exits 0.
attach_mode() {
  local name="$1"
  shift
  echo "== $name: leakspy record --pid (attached mid-run)"
  local go="$work/$name.go"
  "$@" --wait-file "$go" > "$work/$name.out" 2> "$work/$name.target.err" &
  local pid=$!
  for _ in $(seq 600); do grep -q '^ready' "$work/$name.out" && break; sleep 0.1; done
  "$leakspy" record --pid "$pid" -o "$work/$name.lspy" > /dev/null 2> "$work/$name.err" &
  local recorder=$!
  # CUPTI is loaded by the agent's first cycle after the attach; the
  # subscription follows within microseconds. A margin covers that gap.
  for _ in $(seq 300); do grep -q libcupti "/proc/$pid/maps" 2> /dev/null && break; sleep 0.1; done
  sleep 0.5
  wait_then_go "$work/$name.err" "$go"
  local status=0
  wait "$pid" || status=$?
  wait "$recorder" || true  # exits 16: the target exited, the capture is complete
  if ((status == 0)) && grep -q '^leaked' "$work/$name.out"; then
    pass "$name: target finished normally while recorded"
    grep '^leakspy:' "$work/$name.err" | sed 's/^/    /'
    return 0
  fi
  fail "$name: target exited with $status"
  sed 's/^/    /' "$work/$name.out" "$work/$name.target.err" "$work/$name.err"
  return 1
}

# (a) CUDA C: 64 x 1 MiB from the LEAK line, exactly.
mib=1048576
if nvcc -g -O1 -Xcompiler -fno-omit-frame-pointer -o "$work/cuda_driver_leak" "$targets/cuda_driver_leak.cu" -lcuda \
     > "$work/nvcc.log" 2>&1; then
  location="cuda_driver_leak.cu:$(line_of "$targets/cuda_driver_leak.cu")"
  run_mode cuda-run "$work/cuda_driver_leak" 64 &&
    check_top "$work/cuda-run.lspy" "$location" $((64 * mib)) $((64 * mib)) "cuda-run"
  attach_mode cuda-attach "$work/cuda_driver_leak" 64 &&
    check_top "$work/cuda-attach.lspy" "$location" $((64 * mib)) $((64 * mib)) "cuda-attach"
else
  fail "nvcc could not build the CUDA target"
  sed 's/^/    /' "$work/nvcc.log"
fi

# (b), (c) PyTorch: 50 x 4 MiB tensors from the LEAK line. CUPTI sees the
# caching allocator's segments (20 MiB, five tensors each): reserved memory,
# at least the tensors' bytes and at most two segments more.
python="${PYTHON:-python3}"
if ! "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' > /dev/null 2>&1; then
  skip "PyTorch with CUDA is not importable by $python: (b) and (c) not checked"
else
  script="$targets/torch_cuda_leak.py"
  location="torch_cuda_leak.py:$(line_of "$script")"
  tensors=$((50 * 4 * mib))
  slack=$((40 * mib))
  # torch_check NAME: both levels of one recording.
  torch_check() {
    local name="$1"
    check_top "$work/$name.lspy" "$location" $tensors $((tensors + slack)) "$name segments"
    check_top "$work/$name.lspy" "$location" $tensors $tensors "$name tensors" torch
  }
  export WAIT_FOR_TENSORS=1
  run_mode torch-run "$python" "$script" 50 && torch_check torch-run
  attach_mode torch-attach "$python" "$script" 50 && torch_check torch-attach
  export PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True
  run_mode torch-expandable-run "$python" "$script" 50 && torch_check torch-expandable-run
  attach_mode torch-expandable-attach "$python" "$script" 50 && torch_check torch-expandable-attach
  unset WAIT_FOR_TENSORS
  unset PYTORCH_CUDA_ALLOC_CONF
fi

if ((failures > 0)); then
  echo "gpu-check: $failures check(s) failed"
  exit 1
fi
echo "gpu-check: all checks passed"
