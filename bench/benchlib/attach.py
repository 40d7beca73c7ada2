"""Attach mode: a running target (bench_attach_target, malloc/free pairs in
batches) is attached to, recorded for a while, and detached from.

Everything is read from the target's own timeline (the end time of every
batch, CLOCK_MONOTONIC like time.monotonic_ns here), so both tools are
measured the same way, from where it matters, the target:
  attach latency  command start -> first batch of the run of batches that are
                  as slow as tracked ones (the hooks are live), to within a batch
  longest pause   the longest batch around attach, less a normal one (the
                  target was stopped: ptrace, gdb)
  overhead        ns per event while attached, from the batch medians
  detach time     stop request -> first batch of the run of batches back at
                  untracked speed
For leakspy the capture also says when its first event came: the header's
start_monotonic_ns plus the first event's time.

heaptrack's detach (gdb calling heaptrack_stop() in the target, what its
launcher script does at exit) hung our target whenever the target was inside
a hooked write to heaptrack's full pipe, and a SIGINT or SIGTERM to the
launcher kills it without running that step; so heaptrack is measured until
the target exits, and its detach time is not measured."""

import array
import os
import signal
import statistics
import time

from .runner import BackgroundProcess
from .tools import HEAPTRACK, LEAKSPY, first_event_seconds, read_capture_clock

BATCH_ITERATIONS = 1000
RUN_LENGTH = 5  # batches that must agree before a change of speed counts


def read_timeline(path):
    """(loop start ns, [batch end ns])."""
    values = array.array("q")
    with open(path, "rb") as file:
        values.frombytes(file.read())
    if not values:
        return None, []
    return values[0], list(values[1:])


def analyze_timeline(start_ns, ends, command_ns, stop_ns, events_per_batch, expect_detach=True):
    """The attach/detach numbers (seconds, ns per event) from a timeline;
    None values where the timeline cannot say (see the notes entry)."""
    result = {"batches": len(ends), "notes": []}
    if not ends:
        result["notes"].append("empty timeline")
        return result
    starts = [start_ns] + ends[:-1]
    durations = [end - begin for begin, end in zip(starts, ends)]
    before = [d for d, end in zip(durations, ends) if end < command_ns]
    window_start = command_ns + 0.75 * (stop_ns - command_ns)
    attached = [d for d, end in zip(durations, ends) if window_start <= end < stop_ns]
    if len(before) < RUN_LENGTH or len(attached) < RUN_LENGTH:
        result["notes"].append("too few batches before attach or while attached")
        return result
    baseline = statistics.median(before)
    tracked = statistics.median(attached)
    result["untracked_batch_us"] = baseline / 1e3
    result["tracked_batch_us"] = tracked / 1e3
    result["overhead_ns_per_event"] = (tracked - baseline) / events_per_batch
    if tracked < 1.3 * baseline:
        result["notes"].append("tracked batches are not clearly slower: latency and detach not measurable by timing")
        return result
    threshold = baseline + 0.5 * (tracked - baseline)

    def run_median(i):
        return statistics.median(durations[i:i + RUN_LENGTH])

    attach_index = next((i for i in range(len(ends) - RUN_LENGTH)
                         if ends[i] > command_ns and run_median(i) > threshold), None)
    if attach_index is None:
        result["notes"].append("no tracked run of batches found")
        return result
    result["attach_latency_s"] = (ends[attach_index] - command_ns) / 1e9
    around = [d for d, end in zip(durations, ends) if command_ns <= end <= ends[attach_index + RUN_LENGTH]]
    result["attach_pause_ms"] = (max(around) - baseline) / 1e6 if around else None
    detach_index = next((i for i in range(len(ends) - RUN_LENGTH)
                         if starts[i] >= stop_ns and run_median(i) < threshold), None)
    if expect_detach and stop_ns < ends[-1]:
        if detach_index is None:
            result["notes"].append("the target did not get back to untracked speed")
        else:
            result["detach_time_s"] = (starts[detach_index] - stop_ns) / 1e9
            after = [d for d, end in zip(durations, ends) if stop_ns <= end <= ends[detach_index]]
            result["detach_pause_ms"] = (max(after) - baseline) / 1e6 if after else None
    return result


class AttachScenario:
    def __init__(self, target_binary, leakspy, heaptrack, workdir, pre_s, window_s, post_s):
        self.target_binary = target_binary
        self.leakspy = leakspy
        self.heaptrack = heaptrack
        self.workdir = workdir
        self.pre_s = pre_s
        self.window_s = window_s
        self.post_s = post_s

    def run(self, tool, rep):
        timeline_path = os.path.join(self.workdir, f"attach-{tool}-{rep}.timeline")
        capture = os.path.join(self.workdir, f"attach-{tool}-{rep}")
        outcome = {"tool": tool, "rep": rep, "ok": False}
        target = BackgroundProcess([self.target_binary, timeline_path, str(BATCH_ITERATIONS)])
        tool_process = None
        try:
            if target.wait_for_line(r"^ready", 10) is None:
                outcome["failure"] = "the attach target did not start"
                return outcome
            time.sleep(self.pre_s)
            command_ns = time.monotonic_ns()
            if tool == LEAKSPY:
                capture += ".lspy"
                safety = self.window_s + 120
                tool_process = BackgroundProcess(self.leakspy.record_argv(capture, target.pid, safety))
                self._wait(tool_process, self.window_s)
                stop_ns = time.monotonic_ns()
                tool_result = tool_process.stop(signal.SIGINT, 120)
                outcome["tool_exit_after_stop_s"] = (tool_process.ended_ns - stop_ns) / 1e9
                time.sleep(self.post_s)
                target_result = target.stop(signal.SIGTERM, 30)
            else:
                tool_process = BackgroundProcess(self.heaptrack.attach_argv(capture, target.pid))
                injected = tool_process.wait_for_line(r"injection finished", 120)
                if injected is None:
                    outcome["failure"] = "heaptrack did not finish injecting"
                    tool_process.stop(signal.SIGTERM, 10)
                    target.stop(signal.SIGKILL, 10)
                    return outcome
                outcome["tool_reports_attached_s"] = (injected[0] - command_ns) / 1e9
                self._wait(tool_process, self.window_s)
                # heaptrack ends when its target does (see the module comment).
                stop_ns = time.monotonic_ns()
                target_result = target.stop(signal.SIGTERM, 120)
                tool_result = tool_process.stop(None, 120)
                outcome["tool_exit_after_target_s"] = (tool_process.ended_ns - target.ended_ns) / 1e9
        finally:
            if tool_process is not None and not tool_process.finished():
                tool_process.stop(signal.SIGKILL, 10)
            if not target.finished():
                target.stop(signal.SIGKILL, 10)
        outcome["tool_exit_code"] = tool_result.exit_code
        outcome["target_exit_code"] = target_result.exit_code
        if target_result.exit_code != 0:
            outcome["failure"] = f"the target ended with {target_result.exit_code}: {target_result.stderr.strip()[-200:]}"
            return outcome
        if tool_result.exit_code not in (0,):
            outcome["failure"] = (f"{tool} ended with {tool_result.exit_code}: "
                                  f"{(tool_result.stderr.strip().splitlines() or [''])[-1][:200]}")
        start_ns, ends = read_timeline(timeline_path)
        os.unlink(timeline_path)
        # heaptrack: the target ended, nothing was detached.
        outcome.update(analyze_timeline(start_ns, ends, command_ns, stop_ns, 2 * BATCH_ITERATIONS,
                                        expect_detach=tool == LEAKSPY))
        if tool == LEAKSPY:
            # Detached: leakspy has exited and the target runs at untracked speed again.
            parts = [outcome.get("tool_exit_after_stop_s"), outcome.get("detach_time_s")]
            if all(part is not None for part in parts):
                outcome["detach_total_s"] = max(parts)
        if tool == LEAKSPY and os.path.exists(capture):
            clock = read_capture_clock(capture)
            first = first_event_seconds(self.leakspy, capture)
            if clock and first is not None:
                outcome["first_event_in_capture_s"] = (clock[0] + first * 1e9 - command_ns) / 1e9
            outcome["capture"] = self.leakspy.stats(capture)
            os.unlink(capture)
        if tool == HEAPTRACK:
            output = self.heaptrack.output_file(capture)
            if output:
                os.unlink(output)
        outcome["ok"] = "failure" not in outcome and "attach_latency_s" in outcome
        if not outcome["ok"] and "failure" not in outcome:
            outcome["failure"] = "; ".join(outcome["notes"]) or "no attach seen in the timeline"
        return outcome

    @staticmethod
    def _wait(process, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not process.finished():
            time.sleep(0.05)
