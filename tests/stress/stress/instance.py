"""One running copy of a stress target: its processes, the one that speaks the
control protocol (tests/stress/programs/control.py), and the pid leakspy
attaches to."""
import time

from . import processes


class Instance:
    def __init__(self, processes_, controller, attach_pid, watched=None, description=""):
        self.processes = processes_      # all started here, servers first
        self.controller = controller     # the Process that speaks the protocol
        self.attach_pid = attach_pid     # may be a grandchild (a gunicorn worker)
        self.watched = watched           # progress counters that must advance; None: all
        self.description = description

    def wait_ready(self, timeout_s=180):
        line = self.controller.read_line(timeout_s)
        if line != "ready":
            raise RuntimeError(f"{self.controller.name} did not report ready (got {line!r}); "
                               f"its log:\n{self.controller.log_tail()}")

    def progress(self, timeout_s=10):
        """{counter: count}, None when the controller does not answer."""
        self.controller.send("progress")
        line = self.controller.read_line(timeout_s)
        if line is None or not line.startswith("progress"):
            return None
        return {name: int(count) for name, count in (part.split("=") for part in line.split()[1:])}

    def wait_for_progress(self, before, timeout_s=10):
        """(True, counts) once every watched counter passed `before`, else (False, why)."""
        deadline = time.monotonic() + timeout_s
        while True:
            now = self.progress(timeout_s=max(deadline - time.monotonic(), 0.1))
            if now is None:
                return False, f"{self.controller.name} did not answer 'progress' within {timeout_s} s"
            names = self.watched if self.watched is not None else before.keys() | now.keys()
            stalled = [name for name in sorted(names) if now.get(name, 0) <= before.get(name, 0)]
            if not stalled:
                return True, now
            if time.monotonic() > deadline:
                return False, f"no progress in {timeout_s} s: {', '.join(stalled)} stuck at " + \
                    ", ".join(str(now.get(name, 0)) for name in stalled)
            time.sleep(0.01)

    def death(self):
        """None while all its processes live, else which one ended and how."""
        for process in self.processes:
            status = process.exit_status()
            if status is not None:
                return f"{process.name} (pid {process.pid}) {status}; its log:\n{process.log_tail()}"
        state = processes.state_of(self.attach_pid)
        if state in (None, "Z", "X"):
            return f"process {self.attach_pid} ({self.description}) is gone (state {state}); " \
                   f"{self.processes[0].name}'s log:\n{self.processes[0].log_tail()}"
        return None

    def stopped(self):
        """A description when threads of the attached process are left stopped (T or t)."""
        if not processes.stopped_threads(self.attach_pid):
            return None
        return f"process {self.attach_pid} has threads left stopped: {processes.thread_states(self.attach_pid)}"

    def finish(self, timeout_s=120):
        """The checksum text, None when the target does not finish in time."""
        self.controller.send("finish")
        line = self.controller.read_line(timeout_s)
        while line is not None and not line.startswith("checksum "):
            line = self.controller.read_line(timeout_s)
        return None if line is None else line[len("checksum "):]

    def close(self):
        for process in reversed(self.processes):  # clients first, then servers
            process.close(grace_s=2 if process is not self.controller else 0)
