"""Stress for leakspy's attach: runs `leakspy record --pid PID --duration 0.2`
again and again against long-lived real targets (tests/stress/) and prints one
row per target: cycles, leakspy failures, target deaths and hangs, whether the
target's self-checking work came out as without leakspy, the target's stop
time as its own stop-watch thread saw it (p50/p99/max ms), files leakspy left
behind. Exits 1 on any death, hang, checksum difference, leaked file or error.
A stress tool, not a timed test; usage: scripts/attach-stress.sh --help."""
import argparse
import os
import shutil
import signal
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "stress"))

from stress import cycles, leakspy, processes, report, stop_watch  # noqa: E402
from stress.targets import TARGETS, Context  # noqa: E402


def arguments():
    parser = argparse.ArgumentParser(prog="attach-stress.sh", description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=20, help="attach/record/detach cycles per target (20)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of {','.join(TARGETS)}")
    parser.add_argument("--leakspy", default=os.path.join(ROOT, "build", "bin", "leakspy"),
                        help="the leakspy binary (its agent is found in ../lib)")
    parser.add_argument("--duration", type=float, default=0.2, help="seconds each recording lasts (0.2)")
    parser.add_argument("--keep", action="store_true", help="keep the run's directory (logs) for a look")
    args = parser.parse_args()
    args.targets = [name.strip() for name in args.targets.split(",") if name.strip()]
    unknown = [name for name in args.targets if name not in TARGETS]
    if unknown or args.cycles < 1:
        parser.error(f"unknown targets {unknown}" if unknown else "--cycles must be at least 1")
    return args


def log(text):
    print(f"attach-stress: {text}", file=sys.stderr, flush=True)


def _terminate(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main():
    args = arguments()
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # SIGINT too where it came ignored
        signal.signal(sig, _terminate)
    processes.become_subreaper()
    run_dir = tempfile.mkdtemp(prefix="attach-stress-")
    results = []
    began = time.monotonic()
    try:
        binary, version = leakspy.snapshot(args.leakspy, os.path.join(run_dir, "snapshot"))
        log(f"{version} (a copy of {args.leakspy}), run directory {run_dir}")
        stop_watch_dir = os.path.join(run_dir, "stop-watch")
        os.makedirs(stop_watch_dir)
        scratch = tuple({run_dir, os.environ.get("TMPDIR") or "/tmp"})
        ctx = Context(run_dir=run_dir, programs=os.path.join(ROOT, "tests", "stress", "programs"),
                      stop_watch_lib=stop_watch.build(os.path.join(ROOT, "tests", "stress", "stop_watch.c"), run_dir),
                      stop_watch_dir=stop_watch_dir, marker=run_dir, deadline_s=max(600, 10 * args.cycles),
                      leakspy_env=dict(os.environ, TMPDIR=run_dir), scratch_dirs=scratch)
        for name in args.targets:
            log(f"{name}: {args.cycles} cycles")
            runner = cycles.Runner(ctx, TARGETS[name], binary, args.duration, args.cycles, log)
            results.append(runner.run())
            if results[-1].skipped:
                log(f"{name}: skipped: {results[-1].skipped}")
    except KeyboardInterrupt:
        log("interrupted; ending every process it started")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.close_all()
        strays = processes.sweep_strays(run_dir)
        if strays:
            log(f"killed {strays} stray processes of this run")
        if args.keep:
            log(f"kept {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
    print(report.table(results))
    print(f"\n{sum(r.cycles for r in results)} cycles in {time.monotonic() - began:.0f} s; "
          f"per cycle, a 1 ms stop-watch thread in the target gives its longest 'gap' between wake-ups, "
          f"and the 'stop': that gap less the time the thread waited for a CPU (schedstat), which leaves "
          f"what leakspy held it; 'idle max': the longest gap without leakspy; "
          f"'agents': agent images mapped at the end")
    print(report.details(results))
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
