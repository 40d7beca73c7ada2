"""The workloads (issue 8): what each one runs, in quick and full size.

A workload prints a BENCH line (bench/workloads/bench_report.h, .py) with
the wall and CPU time of its measured phase, the allocator calls it made
(None for Python: the harness then takes leakspy's event count) and its own
peak RSS."""

import os
from dataclasses import dataclass, field


@dataclass
class Workload:
    name: str
    group: str
    argv: list
    kind: str  # "native", "python" or "torch"
    timeout_s: int
    # Tools this workload is not run under in this mode, with the reason.
    skip: dict = field(default_factory=dict)
    # heaptrack records raw data (-r) instead of interpreting it as it goes: why, or None.
    heaptrack_raw: str = None


# heaptrack 1.4's heaptrack_interpret never finishes this workload's stream
# (the runs timed out): from about 220,000 operations on (deterministic: 219k
# pass, 220k stall), the set of distinct (size, stack) allocations, a
# tsl::robin_set reserved at 2^20 buckets and holding only ~60k entries,
# doubles its bucket array again and again (2^21 ... 2^24 buckets, 400 MB at a
# time, seen with strace; gdb shows the bucket-initialising loop), so the
# interpreter's memory passes 1.4 GB and the target blocks on the full pipe.
# Reproduced offline: `heaptrack -r -o X bench_mixed_lifetimes 220312`, then
# `zstd -dc X.raw.zst | /usr/lib/heaptrack/libexec/heaptrack_interpret` stalls
# at line 433,877. With -r the target pays what heaptrack costs it (unwinding,
# writing the pipe); the interpretation, which is not needed for that, is not done.
HEAPTRACK_INTERPRET_STALLS = ("heaptrack -r (raw, not interpreted): heaptrack 1.4's heaptrack_interpret "
                              "stalls on this stream from ~220k operations (a hash set that keeps doubling, "
                              "past 1.4 GB; bench/benchlib/workloads.py), so the target would hang on the pipe")


# (iterations per thread or operations or objects) for quick and full runs.
# --quick is sized to finish in about two minutes on the 2-core VM (three
# reps); most of its time is process start, heaptrack's interpreter start
# and `import torch`, not the measured phases.
SIZES = {
    "malloc_free": (200_000, 5_000_000),
    "mixed_lifetimes": (100_000, 5_000_000),
    "python_buffers": (100_000, 1_000_000),
    "python_churn": (50_000, 500_000),
    "torch_iterations": (30, 500),
}


def build_workloads(build_dir, source_dir, python, quick, torch_threads=1):
    size = {key: value[0 if quick else 1] for key, value in SIZES.items()}
    native = os.path.join(build_dir, "bench")
    scripts = os.path.join(source_dir, "bench", "workloads")
    timeout = 120 if quick else 900
    workloads = []
    for threads in (1, 2):
        for depth in (5, 30):
            workloads.append(Workload(
                name=f"malloc_free t{threads} d{depth}",
                group="malloc/free microbenchmark",
                argv=[os.path.join(native, "bench_malloc_free"), str(size["malloc_free"]), str(depth), str(threads)],
                kind="native", timeout_s=timeout))
    workloads.append(Workload(
        name="mixed_lifetimes", group="mixed sizes and lifetimes",
        argv=[os.path.join(native, "bench_mixed_lifetimes"), str(size["mixed_lifetimes"])],
        kind="native", timeout_s=timeout, heaptrack_raw=HEAPTRACK_INTERPRET_STALLS))
    workloads.append(Workload(
        name="python_buffers", group="Python: bytearray(1500) made and freed",
        argv=[python, os.path.join(scripts, "python_buffers.py"), str(size["python_buffers"])],
        kind="python", timeout_s=timeout))
    workloads.append(Workload(
        name="python_churn", group="Python: dict/list/str churn",
        argv=[python, os.path.join(scripts, "python_churn.py"), str(size["python_churn"])],
        kind="python", timeout_s=timeout))
    torch_skip = {}
    if quick:
        # heaptrack takes ~15 s per run to record `import torch`: five of
        # those do not fit in --quick's two minutes.
        torch_skip["heaptrack"] = "skipped in --quick (about 15 s per run)"
    workloads.append(Workload(
        name="torch_inference", group="PyTorch CPU inference loop",
        argv=[python, os.path.join(scripts, "torch_inference.py"), str(size["torch_iterations"]), str(torch_threads)],
        kind="torch", timeout_s=timeout, skip=torch_skip))
    return workloads


def torch_available(python):
    """Whether python can import torch (found, not imported: that takes seconds)."""
    import subprocess
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"
    try:
        return subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False
