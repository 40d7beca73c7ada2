"""Analysis throughput: events per second that leakspy's offline commands get
through on a large capture.

The large capture is bench/reports' synthetic one (a busy service's shape:
thousands of stacks 5-30 frames deep, several threads, reuse of addresses,
reallocs, leaks), written and timed by build/bench/leakspy_report_bench: it
prints the in-process numbers (read, top, flamegraph without process start
and option parsing) and, with --leakspy, the CLI end to end (`leakspy top
CAPTURE`, `leakspy flamegraph CAPTURE -o /dev/null`), which the aims use.
The capture is kept in the build folder (build-bench/bench/) between runs,
and rewritten when it cannot be read (the capture format changed).

Full runs also record a real capture (bench_mixed_lifetimes under `leakspy
run`) and time `inspect --stats`, `top` and `flamegraph` on it."""

import os
import re
import statistics

from .runner import run_command

REPORT_LINE = re.compile(r"^(?P<name>.+?)\s+(?P<best>[\d.]+) s\s+[\d.]+ M events/s\s+"
                         r"\(best of runs; median (?P<median>[\d.]+) s")


def _timed(argv, reps, timeout_s, stdout_path=None):
    runs = []
    for _ in range(reps):
        if stdout_path is None:
            result = run_command(argv, timeout_s)
        else:
            result = run_command(["/bin/sh", "-c", 'exec "$@" > "$0"', stdout_path] + argv, timeout_s)
        if result.exit_code != 0:
            tail = (result.stderr.strip().splitlines() or [""])[-1][:200]
            return {"ok": False, "failure": f"exit code {result.exit_code}: {tail}", "argv": argv}
        runs.append(result.wall_ns)
    return {"ok": True, "argv": argv, "wall_ns": {"min": min(runs), "median": statistics.median(runs),
                                                  "max": max(runs), "n": len(runs)}}


def _with_rate(measured, events):
    if measured.get("ok") and events:
        measured["events_per_s"] = events / (measured["wall_ns"]["median"] / 1e9)
    return measured


def measure_synthetic(leakspy, report_bench, capture, events, runs, timeout_s):
    """leakspy_report_bench on a synthetic capture of `events` events."""
    out = {"workload": "synthetic service (bench/reports)", "steps": {},
           "capture_path": capture}
    if not os.access(report_bench, os.X_OK):
        out["failure"] = f"{report_bench} is not built"
        return out
    argv = [report_bench, "--capture", capture, "--events", str(events), "--runs", str(runs),
            "--leakspy", leakspy.binary]
    result = run_command(argv, timeout_s)
    if result.exit_code != 0 and os.path.exists(capture):
        # A capture written by an older build: write it again.
        result = run_command(argv + ["--regenerate"], timeout_s)
    if result.exit_code != 0:
        tail = (result.stderr.strip().splitlines() or result.stdout.strip().splitlines() or [""])[-1][:200]
        out["failure"] = f"leakspy_report_bench ended with {result.exit_code}: {tail}"
        return out
    stats = leakspy.stats(capture)
    out["events"] = stats.get("events")
    out["capture_bytes"] = stats.get("capture_bytes")
    failed = {name for name in ("top", "flamegraph") if f"{name} failed" in result.stderr}
    for line in result.stdout.splitlines():
        match = REPORT_LINE.match(line)
        if not match:
            continue
        name = match.group("name").strip()
        cli = name.endswith("(CLI)")
        if cli:
            command = name.split()[1]
            key = f"leakspy {command}"
            if command in failed:
                out["steps"][key] = {"ok": False, "failure": f"`leakspy {command}` failed (run "
                                                             f"{report_bench} --leakspy ... to see why)"}
                continue
        else:
            key = f"{name} (in-process)"
        best, median = float(match.group("best")) * 1e9, float(match.group("median")) * 1e9
        out["steps"][key] = _with_rate({"ok": True, "wall_ns": {"min": best, "median": median, "max": None,
                                                                 "n": runs}}, out["events"])
    for name in ("top", "flamegraph"):
        if f"leakspy {name}" not in out["steps"]:
            out["steps"][f"leakspy {name}"] = {"ok": False, "failure": "n/a (not built)"
                                               if not leakspy.has(name) else "no timing printed"}
    return out


def measure_recorded(leakspy, workload_argv, workdir, reps, timeout_s):
    """inspect, top and flamegraph on a capture recorded from a real workload."""
    out = {"workload": " ".join(os.path.basename(a) for a in workload_argv), "steps": {}}
    capture = os.path.join(workdir, "analysis.lspy")
    recorded = run_command(leakspy.run_argv(capture, workload_argv), timeout_s)
    if recorded.exit_code != 0 or not os.path.exists(capture):
        out["failure"] = f"recording the capture failed: {recorded.failure()}"
        return out
    stats = leakspy.stats(capture)
    events = stats.get("events")
    out["events"] = events
    out["capture_bytes"] = stats.get("capture_bytes")
    out["steps"]["inspect --stats (capture reader)"] = _with_rate(
        _timed([leakspy.binary, "inspect", "--stats", capture], reps, timeout_s, os.devnull), events)
    for name in ("top", "flamegraph"):
        if not leakspy.has(name):
            out["steps"][f"leakspy {name}"] = {"ok": False, "failure": "n/a (not built)"}
            continue
        target = os.path.join(workdir, f"analysis-{name}.out")
        argv, to_stdout = leakspy.report_argv(name, capture, target)
        out["steps"][f"leakspy {name}"] = _with_rate(_timed(argv, reps, timeout_s, target if to_stdout else None),
                                                     events)
        if os.path.exists(target):
            os.unlink(target)
    os.unlink(capture)
    return out
