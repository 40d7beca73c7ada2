"""What a Python benchmark workload prints about itself: the BENCH line of
bench_report.h (wall and CPU time of the measured phase, peak RSS of the
process), read by bench/harness.py. Python cannot count its allocator calls;
the harness takes the event count from leakspy's capture instead."""

import json
import resource
import time


class Phase:
    """Wall (CLOCK_MONOTONIC) and process CPU time between start() and stop()."""

    def start(self):
        self.wall0 = time.monotonic_ns()
        self.cpu0 = time.process_time_ns()

    def stop(self):
        self.wall_ns = time.monotonic_ns() - self.wall0
        self.cpu_ns = time.process_time_ns() - self.cpu0


def peak_rss_kb():
    """VmHWM: the peak RSS of this address space (ru_maxrss survives execve
    and would include the process that forked the interpreter)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def report(workload, phase, **extra):
    usage = resource.getrusage(resource.RUSAGE_SELF)
    line = {
        "workload": workload,
        "wall_ns": phase.wall_ns,
        "cpu_ns": phase.cpu_ns,
        "events": None,
        "process_cpu_ns": int((usage.ru_utime + usage.ru_stime) * 1e9),
        "peak_rss_kb": peak_rss_kb(),
    }
    line.update(extra)
    print("BENCH " + json.dumps(line), flush=True)
