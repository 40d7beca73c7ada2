"""Runs one target: a reference run without leakspy, then N attach/record/
detach cycles against long-lived instances, each cycle timed by the target's
stop-watch and followed by a check that the target lives and works on."""
import os
import time
from dataclasses import dataclass, field

from . import leakspy, leftovers, processes
from .stop_watch import StopWatch, StopWatchTimeout

MAX_EVENTS = 3          # deaths and hangs after which a target is given up
IDLE_WINDOWS = 5        # stop-watch windows without leakspy, for comparison
PROGRESS_TIMEOUT_S = 10


@dataclass
class Event:
    cycle: int
    text: str


@dataclass
class TargetResult:
    name: str
    skipped: str = None
    error: str = None                      # the harness failed (not a finding about leakspy)
    cycles: int = 0
    failures: list = field(default_factory=list)   # leakspy exited non-zero (Event)
    deaths: list = field(default_factory=list)
    hangs: list = field(default_factory=list)
    reference: str = None                  # checksum of the run without leakspy
    checksums: list = field(default_factory=list)
    stops_ms: list = field(default_factory=list)   # longest gap per cycle, less run-queue wait
    gaps_ms: list = field(default_factory=list)    # longest gap per cycle, as seen
    idle_ms: list = field(default_factory=list)    # longest gap as seen, without leakspy
    reported_ms: list = field(default_factory=list)  # leakspy's own "attached ... in N ms"
    record_s: list = field(default_factory=list)     # wall time of each `leakspy record`
    agents: int = None                     # agent images mapped in the attached process at the end
    leaked: list = field(default_factory=list)
    seconds: float = 0

    @property
    def checksum_equal(self):
        if not self.checksums:
            return None
        return all(checksum == self.reference for checksum in self.checksums)

    @property
    def failed(self):
        return bool(self.error or self.failures or self.deaths or self.hangs or self.leaked
                    or self.checksum_equal is False or (self.agents or 0) > 1)


def agent_images(pid):
    """How many distinct agent files are mapped in `pid`."""
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return len({tuple(line.split()[3:5]) for line in maps if "libleakspy_agent" in line})
    except OSError:
        return None


class Runner:
    def __init__(self, ctx, target, leakspy_path, duration_s, cycles, log):
        self.ctx, self.target, self.leakspy, self.duration_s = ctx, target, leakspy_path, duration_s
        self.cycles, self.log = cycles, log
        self.result = TargetResult(target.name)
        self.capture = os.path.join(ctx.run_dir, "c.lspy")
        self.instances = 0
        self.inspected = False

    def _start(self):
        self.instances += 1
        return self.target.start(self.ctx, self.instances)

    def _reference(self):
        instance = self._start()
        try:
            checksum = instance.finish()
        finally:
            instance.close()
        if checksum is None:
            raise RuntimeError("the reference run without leakspy did not finish")
        return checksum

    def _idle(self, watch, window_s):
        for _ in range(IDLE_WINDOWS):
            watch.begin()
            time.sleep(window_s)  # a measuring interval, not synchronisation
            self.result.idle_ms.append(watch.end()[1])

    def _event(self, kind, cycle, text, pid=None):
        if kind == "hangs" and pid is not None:
            text += f"\nthreads of process {pid}: {processes.thread_states(pid)}"
        getattr(self.result, kind).append(Event(cycle, text))
        self.log(f"{self.target.name}: cycle {cycle}: {kind[:-1]}: {text.splitlines()[0]}")

    def _cycle(self, instance, watch, cycle, before):
        """The progress counts after the cycle; None when the instance is done for."""
        if os.path.exists(self.capture):
            os.unlink(self.capture)
        try:
            watch.begin()
        except StopWatchTimeout as error:
            death = instance.death()
            self._event("deaths" if death else "hangs", cycle, death or f"before recording: {error}",
                        instance.attach_pid)
            return None
        recording = leakspy.record(self.leakspy, instance.attach_pid, self.capture, self.duration_s,
                                   self.ctx.leakspy_env)
        self.result.record_s.append(recording.seconds)
        if recording.attached_ms is not None:
            self.result.reported_ms.append(recording.attached_ms)
        if recording.code != 0 or recording.timed_out:
            self._event("failures", cycle, recording.describe())
        death = instance.death()
        if death:
            self._event("deaths", cycle, death)
            return None
        stopped = instance.stopped()
        if stopped:
            self._event("hangs", cycle, stopped)
            return None
        try:
            stop, gap = watch.end()
            self.result.stops_ms.append(stop)
            self.result.gaps_ms.append(gap)
        except StopWatchTimeout as error:
            self._event("hangs", cycle, f"after recording: {error}", instance.attach_pid)
            return None
        if recording.code == 0 and not self.inspected:
            self.inspected = True
            problem = leakspy.inspect_stats(self.leakspy, self.capture)
            if problem:
                self._event("failures", cycle, problem)
        advanced, after = instance.wait_for_progress(before, PROGRESS_TIMEOUT_S)
        if not advanced:
            self._event("hangs", cycle, after, instance.attach_pid)
            return None
        return after

    def _finish(self, instance):
        self.result.agents = agent_images(instance.attach_pid)
        checksum = instance.finish()
        if checksum is None:
            self._event("hangs", self.result.cycles, "the target did not finish its work after 'finish'",
                        instance.attach_pid)
        else:
            self.result.checksums.append(checksum)

    def run(self):
        result = self.result
        result.skipped = self.target.missing()
        if result.skipped:
            return result
        began = time.monotonic()
        before = leftovers.snapshot(self.ctx.scratch_dirs)
        instance = watch = None
        try:
            result.reference = self._reference()
            while result.cycles < self.cycles and len(result.deaths) + len(result.hangs) < MAX_EVENTS:
                if instance is None:
                    instance = self._start()
                    watch = StopWatch(self.ctx.stop_watch_dir, instance.attach_pid)
                    if not result.idle_ms:
                        self._idle(watch, self.duration_s + 0.1)
                    progress = instance.progress() or {}
                result.cycles += 1
                progress = self._cycle(instance, watch, result.cycles, progress)
                if progress is None:
                    watch.close()
                    instance.close()
                    instance = watch = None
                elif result.cycles % 50 == 0:
                    self.log(f"{self.target.name}: {result.cycles}/{self.cycles} cycles done")
            if instance is not None:
                self._finish(instance)
        except (RuntimeError, OSError, StopWatchTimeout) as error:
            result.error = str(error)
        finally:
            if watch is not None:
                watch.close()
            if instance is not None:
                instance.close()
        result.leaked = leftovers.new_since(before, self.ctx.scratch_dirs)
        result.seconds = time.monotonic() - began
        return result
