"""Running one command and measuring it from outside: wall time, and the CPU
time and peak RSS of its whole process tree from wait4(2).

wait4's rusage covers the child and every descendant it reaped, so under
`leakspy run` (the workload is leakspy's child) and heaptrack's launcher (a
shell script with the workload and heaptrack_interpret as children) it is the
cost of tool and workload together; the workload's BENCH line says which part
was its own."""

import json
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field


@dataclass
class RunResult:
    argv: list
    exit_code: int | None  # None: killed after the timeout
    wall_ns: int  # from spawn to reaping, measured here
    tree_cpu_ns: int  # user + system of the process and its reaped descendants
    # The largest ru_maxrss in the tree. ru_maxrss survives execve, so this
    # includes the forking parent's RSS: the workloads report VmHWM instead.
    tree_maxrss_kb: int
    stdout: str
    stderr: str
    bench: dict = field(default_factory=dict)  # the BENCH lines, merged

    @property
    def ok(self):
        return self.exit_code == 0 and bool(self.bench)

    def failure(self):
        """One line saying why this run does not count, or None."""
        if self.exit_code is None:
            return "timed out"
        if self.exit_code != 0:
            tail = (self.stderr.strip().splitlines() or ["(no stderr)"])[-1]
            return f"exit code {self.exit_code}: {tail}"
        if not self.bench:
            return "the workload printed no BENCH line"
        return None


def parse_bench_lines(stdout):
    """Merges every `BENCH {json}` line (heaptrack's script prints its own
    lines on the same stdout, so the marker matters)."""
    merged = {}
    for line in stdout.splitlines():
        if line.startswith("BENCH "):
            try:
                merged.update(json.loads(line[len("BENCH "):]))
            except json.JSONDecodeError:
                pass
    return merged


def _timeval_ns(seconds):
    return int(round(seconds * 1e9))


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run_command(argv, timeout_s, env=None, cwd=None):
    """Runs argv to completion in its own session (so that a timeout kills the
    tool's helpers too) and measures it."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic_ns()
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   start_new_session=True, env=env, cwd=cwd)
        timed_out = threading.Event()

        def on_timeout():
            timed_out.set()
            _kill_group(process.pid)

        timer = threading.Timer(timeout_s, on_timeout)
        timer.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.monotonic_ns() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        # Helpers the tool left behind (none should be) must not outlive the run.
        _kill_group(process.pid)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    return RunResult(
        argv=list(argv),
        exit_code=None if timed_out.is_set() else process.returncode,
        wall_ns=wall,
        tree_cpu_ns=_timeval_ns(usage.ru_utime + usage.ru_stime),
        tree_maxrss_kb=usage.ru_maxrss,
        stdout=stdout,
        stderr=stderr,
        bench=parse_bench_lines(stdout),
    )


class BackgroundProcess:
    """A process that runs while the harness does other things (the attach
    target, an attaching tool). Its output lines are collected with the
    CLOCK_MONOTONIC time they arrived; stop() signals and reaps it and
    returns a RunResult."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv = list(argv)
        self.lines = []  # (arrival ns, "stdout" or "stderr", text)
        self._changed = threading.Condition()
        self.started_ns = time.monotonic_ns()
        self.ended_ns = None
        self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, start_new_session=True, env=env, cwd=cwd)
        self._readers = [threading.Thread(target=self._collect, args=(stream, name), daemon=True)
                         for stream, name in ((self.process.stdout, "stdout"), (self.process.stderr, "stderr"))]
        for reader in self._readers:
            reader.start()
        self._result = None

    def _collect(self, stream, name):
        for raw in iter(stream.readline, b""):
            with self._changed:
                self.lines.append((time.monotonic_ns(), name, raw.decode(errors="replace").rstrip("\n")))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def pid(self):
        return self.process.pid

    def wait_for_line(self, pattern, timeout_s):
        """The first (arrival ns, stream, text) whose text matches the regex,
        waiting up to timeout_s; None if it does not come or the process ends."""
        deadline = time.monotonic() + timeout_s
        regex = re.compile(pattern)
        with self._changed:
            while True:
                for line in self.lines:
                    if regex.search(line[2]):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.finished():
                    return None
                self._changed.wait(min(left, 0.05))

    def finished(self):
        """Whether it exited, without reaping it (stop() reaps it, for rusage)."""
        if self._result is not None:
            return True
        try:
            return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def stop(self, sig, timeout_s):
        """Sends sig (None: just wait), waits up to timeout_s, then kills the
        whole group. Returns the RunResult; ended_ns is when it was reaped."""
        if self._result is not None:
            return self._result
        if sig is not None and not self.finished():
            try:
                os.kill(self.process.pid, sig)
            except ProcessLookupError:
                pass
        timed_out = threading.Event()

        def on_timeout():
            timed_out.set()
            _kill_group(self.process.pid)

        timer = threading.Timer(timeout_s, on_timeout)
        timer.start()
        try:
            _, status, usage = os.wait4(self.process.pid, 0)
        finally:
            timer.cancel()
        self.ended_ns = time.monotonic_ns()
        self.process.returncode = os.waitstatus_to_exitcode(status)
        _kill_group(self.process.pid)
        for reader in self._readers:
            reader.join(5)
        self.process.stdout.close()
        self.process.stderr.close()
        stdout = "\n".join(text for _, stream, text in self.lines if stream == "stdout")
        stderr = "\n".join(text for _, stream, text in self.lines if stream == "stderr")
        self._result = RunResult(
            argv=self.argv,
            exit_code=None if timed_out.is_set() else self.process.returncode,
            wall_ns=self.ended_ns - self.started_ns,
            tree_cpu_ns=_timeval_ns(usage.ru_utime + usage.ru_stime),
            tree_maxrss_kb=usage.ru_maxrss,
            stdout=stdout,
            stderr=stderr,
            bench=parse_bench_lines(stdout),
        )
        return self._result
