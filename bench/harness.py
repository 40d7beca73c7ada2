#!/usr/bin/env python3
"""The benchmark harness (issue 8): every workload untracked, under leakspy
and under heaptrack, interleaved (A B C A B C ...) so that machine drift hits
every tool alike; then attach mode, analysis throughput, and the report.

    bench/harness.py [--quick] [--reps N] [--build-dir DIR] [--only NAME ...]

Normally run through scripts/bench.sh, which builds first. Writes
bench/results/latest.json and bench/results/latest.md and prints the tables;
a partial run (--only, --tools) writes BUILD_DIR/bench/partial.{json,md}.
Scratch files (captures, timelines) go to BUILD_DIR/bench/scratch-*, removed
at the end; the synthetic capture of the analysis step stays in BUILD_DIR/bench.
Full runs: at least 5 interleaved runs per tool (about 10-15 minutes on the
2-core VM); --quick: 3 runs of small workloads, about two minutes.
Standard library only; never part of the test suite."""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import report  # noqa: E402
from benchlib.analysis import measure_recorded, measure_synthetic  # noqa: E402
from benchlib.attach import AttachScenario  # noqa: E402
from benchlib.runner import run_command  # noqa: E402
from benchlib.summary import summarize_workload  # noqa: E402
from benchlib.tools import HEAPTRACK, LEAKSPY, TOOLS, UNTRACKED, Heaptrack, Leakspy  # noqa: E402
from benchlib.workloads import build_workloads, torch_available  # noqa: E402

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIN_FULL_REPS = 5  # issue 8: at least 5 interleaved runs per tool
QUICK_REPS = 3  # --quick: about two minutes in all


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small runs, about two minutes in all")
    parser.add_argument("--reps", type=int, default=None,
                        help=f"interleaved runs per tool and workload (full runs: at least {MIN_FULL_REPS}, the "
                             f"default; --quick: {QUICK_REPS} by default)")
    parser.add_argument("--build-dir", default=os.environ.get("LEAKSPY_BUILD_DIR", os.path.join(SOURCE_DIR, "build-bench")))
    parser.add_argument("--results-dir", default=None,
                        help="where latest.json and latest.md go (default bench/results; partial runs, --only "
                             "or --tools, write partial.json and partial.md into BUILD_DIR/bench instead)")
    parser.add_argument("--python", default="/usr/bin/python3", help="interpreter of the Python workloads")
    parser.add_argument("--only", nargs="*", default=None, metavar="NAME",
                        help="only workloads whose name contains one of these (a partial run: see --results-dir)")
    parser.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    parser.add_argument("--no-attach", action="store_true")
    parser.add_argument("--no-analysis", action="store_true")
    parser.add_argument("--torch-threads", type=int, default=1)
    arguments = parser.parse_args()
    if arguments.reps is None:
        arguments.reps = QUICK_REPS if arguments.quick else MIN_FULL_REPS
    if arguments.reps < 1 or (not arguments.quick and arguments.reps < MIN_FULL_REPS):
        parser.error(f"--reps {arguments.reps}: a full run needs at least {MIN_FULL_REPS} interleaved runs "
                     "(--quick may take fewer)")
    return arguments


def machine_info():
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            match = re.search(r"^model name\s*:\s*(.*)$", cpuinfo.read(), re.MULTILINE)
            if match:
                cpu = match.group(1).strip()
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "load_before": load_average()}


def load_average():
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def git_commit():
    try:
        commit = subprocess.run(["git", "-C", SOURCE_DIR, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", SOURCE_DIR, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip() != ""
        return commit or "?", dirty
    except (OSError, subprocess.TimeoutExpired):
        return "?", False


def slug(name):
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def measure_once(tool, workload, rep, leakspy, heaptrack, workdir):
    base = os.path.join(workdir, f"{slug(workload.name)}-{tool}-{rep}")
    if tool == UNTRACKED:
        argv = workload.argv
    elif tool == LEAKSPY:
        argv = leakspy.run_argv(base + ".lspy", workload.argv)
    else:
        argv = heaptrack.run_argv(base, workload.argv, raw=bool(workload.heaptrack_raw))
    result = run_command(argv, workload.timeout_s)
    bench = result.bench
    sample = {
        "tool": tool, "rep": rep, "ok": result.ok, "failure": result.failure(),
        "run_wall_ns": result.wall_ns, "tree_cpu_ns": result.tree_cpu_ns,
        "phase_wall_ns": bench.get("wall_ns"), "phase_cpu_ns": bench.get("cpu_ns"),
        "process_cpu_ns": bench.get("process_cpu_ns"), "peak_rss_kb": bench.get("peak_rss_kb"),
        "events": bench.get("events"), "throughput": bench.get("throughput"),
    }
    if tool == LEAKSPY:
        capture = base + ".lspy"
        if os.path.exists(capture):
            sample["capture"] = leakspy.stats(capture)
            os.unlink(capture)
        if "DROPPED" in result.stderr:
            sample["recorder_note"] = result.stderr.strip().splitlines()[-1]
    elif tool == HEAPTRACK:
        sample["capture"] = heaptrack.stats(result.stdout + "\n" + result.stderr, base)
        output = heaptrack.output_file(base)
        if output:
            os.unlink(output)
    if not result.ok:
        sample["stderr_tail"] = result.stderr[-2000:]
    return sample


def describe(sample):
    if not sample["ok"]:
        return f"{sample['tool']} FAILED ({sample['failure']})"
    text = f"{sample['tool']} {sample['phase_wall_ns'] / 1e6:.1f} ms"
    if sample.get("throughput"):
        text += f" ({sample['throughput']:.1f}/s)"
    dropped = (sample.get("capture") or {}).get("dropped_events")
    if sample["tool"] == LEAKSPY and dropped:
        text += f" [{dropped} DROPPED]"
    return text


def run_workloads(workloads, tools, reps, leakspy, heaptrack, workdir):
    summaries, raw = [], {}
    for workload in workloads:
        active = [tool for tool in tools if tool not in workload.skip]
        began = time.monotonic()
        print(f"{workload.name}: {' '.join(workload.argv[1:])}", flush=True)
        warmup = run_command(workload.argv, workload.timeout_s)  # page cache, CPU frequency; not counted
        if not warmup.ok:
            print(f"  warm-up FAILED: {warmup.failure()}", flush=True)
        runs = {tool: [] for tool in active}
        for rep in range(reps):
            line = []
            for tool in active:
                sample = measure_once(tool, workload, rep, leakspy, heaptrack, workdir)
                runs[tool].append(sample)
                line.append(describe(sample))
            print(f"  run {rep + 1}/{reps}: " + ", ".join(line), flush=True)
        summaries.append(summarize_workload(workload, runs))
        raw[workload.name] = runs
        print(f"  ({time.monotonic() - began:.1f} s)", flush=True)
    return summaries, raw


def run_attach(args, leakspy, heaptrack, workdir, reps):
    attach = {"tools": {}}
    tools = []
    if LEAKSPY in args.tools:
        if leakspy.has("record"):
            tools.append(LEAKSPY)
        else:
            attach["tools"][LEAKSPY] = {"unavailable": "n/a (leakspy record not built)"}
    if HEAPTRACK in args.tools:
        if not heaptrack.available() or not shutil.which("gdb"):
            attach["tools"][HEAPTRACK] = {"unavailable": "n/a (heaptrack or gdb missing)"}
        elif not args.quick:
            tools.append(HEAPTRACK)  # the reference, in full runs
        else:
            attach["tools"][HEAPTRACK] = {"unavailable": "skipped in --quick (gdb injection, ~3 s a run)"}
    if not tools:
        return attach
    scenario = AttachScenario(os.path.join(args.build_dir, "bench", "bench_attach_target"), leakspy, heaptrack,
                              workdir, pre_s=0.5, window_s=1.5 if args.quick else 3.0, post_s=0.5)
    began = time.monotonic()
    print("attach mode: bench_attach_target", flush=True)
    for tool in tools:
        attach["tools"][tool] = {"runs": []}
    for rep in range(reps):
        line = []
        for tool in tools:
            outcome = scenario.run(tool, rep)
            attach["tools"][tool]["runs"].append(outcome)
            if outcome["ok"]:
                line.append(f"{tool} latency {outcome['attach_latency_s']:.3f} s")
            else:
                line.append(f"{tool} FAILED ({outcome.get('failure')})")
        print(f"  run {rep + 1}/{reps}: " + ", ".join(line), flush=True)
    print(f"  ({time.monotonic() - began:.1f} s)", flush=True)
    return attach


def run_analysis(args, leakspy, workdir):
    """top and flamegraph throughput: on bench/reports' synthetic capture
    (kept in the build folder), and in full runs on a recorded one."""
    began = time.monotonic()
    events = 10_000_000  # the aim is for a large capture; --quick times each step once
    capture = os.path.join(args.build_dir, "bench", f"synthetic-{events // 1_000_000}M.lspy")
    print(f"analysis throughput: leakspy_report_bench on a synthetic capture of {events / 1e6:g} M events",
          flush=True)
    analyses = [measure_synthetic(leakspy, os.path.join(args.build_dir, "bench", "leakspy_report_bench"),
                                  capture, events, runs=1 if args.quick else 3, timeout_s=900)]
    show_analysis(analyses[-1], began)
    if not args.quick:
        began = time.monotonic()
        argv = [os.path.join(args.build_dir, "bench", "bench_mixed_lifetimes"), "5000000"]
        print("analysis throughput: recording bench_mixed_lifetimes 5000000", flush=True)
        analyses.append(measure_recorded(leakspy, argv, workdir, reps=3, timeout_s=900))
        show_analysis(analyses[-1], began)
    return analyses


def show_analysis(analysis, began):
    if analysis.get("failure"):
        print(f"  FAILED: {analysis['failure']}", flush=True)
    for name, step in analysis["steps"].items():
        print(f"  {name}: " + (f"{step['events_per_s'] / 1e6:.1f} M events/s" if step.get("events_per_s")
                               else step.get("failure", "?")), flush=True)
    print(f"  ({time.monotonic() - began:.1f} s)", flush=True)


def main():
    args = parse_arguments()
    started = time.monotonic()
    args.tools = [tool for tool in args.tools.split(",") if tool]
    requested_tools = set(args.tools)
    leakspy = Leakspy(args.build_dir)
    heaptrack = Heaptrack()
    if not leakspy.available():
        sys.exit(f"harness: {leakspy.binary} or its agent is missing: run scripts/bench.sh (it builds) first")
    for binary in ("bench_malloc_free", "bench_mixed_lifetimes", "bench_attach_target"):
        if not os.access(os.path.join(args.build_dir, "bench", binary), os.X_OK):
            sys.exit(f"harness: {binary} is not built in {args.build_dir}/bench: run scripts/bench.sh")
    if HEAPTRACK in args.tools and not heaptrack.available():
        print("harness: heaptrack not found (scripts/setup.sh installs it): its columns stay empty", file=sys.stderr)
        args.tools.remove(HEAPTRACK)

    workloads = build_workloads(args.build_dir, SOURCE_DIR, args.python, args.quick, args.torch_threads)
    if not torch_available(args.python):
        for workload in workloads:
            if workload.kind == "torch":
                workload.skip.update({tool: f"torch missing in {args.python}" for tool in TOOLS})
        workloads = [w for w in workloads if w.kind != "torch"]
        print(f"harness: {args.python} has no torch (python3-torch): the PyTorch loop is skipped", file=sys.stderr)
    if args.only:
        workloads = [w for w in workloads if any(name in w.name for name in args.only)]
    partial = bool(args.only) or requested_tools != set(TOOLS)

    machine = machine_info()
    commit, dirty = git_commit()
    if args.results_dir is None:
        args.results_dir = (os.path.join(args.build_dir, "bench") if partial
                            else os.path.join(SOURCE_DIR, "bench", "results"))
    os.makedirs(args.results_dir, exist_ok=True)
    # Scratch (captures, timelines): in the build folder, which git ignores; removed at the end.
    workdir = tempfile.mkdtemp(prefix="scratch-", dir=os.path.join(args.build_dir, "bench"))
    try:
        summaries, raw = run_workloads(workloads, args.tools, args.reps, leakspy, heaptrack, workdir)
        attach = {"tools": {}}
        if not args.no_attach and not args.only:
            attach = run_attach(args, leakspy, heaptrack, workdir, 2 if args.quick else args.reps)
        analysis = []
        if not args.no_analysis and not args.only:
            analysis = run_analysis(args, leakspy, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    machine["load_after"] = load_average()
    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit, "dirty": dirty, "machine": machine,
        "settings": {"quick": args.quick, "reps": args.reps, "tools": args.tools, "python": args.python,
                     "heaptrack": heaptrack.version() or "heaptrack missing", "build_dir": args.build_dir,
                     "command": "scripts/bench.sh" + (" --quick" if args.quick else "")
                     + ("" if not partial else " (partial: " + " ".join(sys.argv[1:]) + ")")},
        "duration_s": time.monotonic() - started,
        "workloads": summaries, "attach": attach, "analysis": analysis, "runs": raw,
    }
    text = report.render_text(results)
    print("\n" + text)
    stem = "latest" if not partial else "partial"
    json_path = os.path.join(args.results_dir, stem + ".json")
    md_path = os.path.join(args.results_dir, stem + ".md")
    with open(json_path, "w") as out:
        json.dump(results, out, indent=1, default=str)
        out.write("\n")
    with open(md_path, "w") as out:
        out.write(report.render_markdown(results))
    print(f"\nwrote {os.path.relpath(json_path, SOURCE_DIR)} and {os.path.relpath(md_path, SOURCE_DIR)}")
    failed = any(not tool["ok"] for s in summaries for tool in s["tools"].values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
