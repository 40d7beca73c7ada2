"""Processes the stress driver starts: each in its own process group, killed
with the driver (PR_SET_PDEATHSIG), and always killed and reaped; the driver
is a child subreaper, so orphaned grandchildren come back to it to be reaped,
and every process carries a marker in its environment by which strays are found."""
import ctypes
import os
import select
import signal
import socket
import subprocess
import time

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
MARKER = "LEAKSPY_STRESS_RUN"

_live = []  # every Process not yet closed


def become_subreaper():
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _die_with_parent():
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def state_of(pid):
    """The /proc state letter of `pid` (R, S, D, T, t, Z, ...), None when gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def thread_states(pid):
    """'S:12 t:1 (tids 123)' : how many threads of `pid` are in each state."""
    states = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return "gone"
    for tid in tids:
        states.setdefault(state_of(f"{pid}/task/{tid}") or "?", []).append(tid)
    parts = [f"{state}:{len(members)}" + (f" (tids {' '.join(members[:8])})" if state in "tTD" else "")
             for state, members in sorted(states.items())]
    return " ".join(parts)


def stopped_threads(pid):
    """The threads of `pid` left stopped (state T or t)."""
    try:
        return [tid for tid in os.listdir(f"/proc/{pid}/task") if state_of(f"{pid}/task/{tid}") in ("T", "t")]
    except OSError:
        return []


class Process:
    """A started process; `control` gives it stdin and stdout pipes for the control protocol."""

    def __init__(self, name, argv, env, log_path, control=False, pass_fds=()):
        self.name = name
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                argv, env=env, stdin=subprocess.PIPE if control else subprocess.DEVNULL,
                stdout=subprocess.PIPE if control else log, stderr=log, pass_fds=pass_fds,
                start_new_session=True, preexec_fn=_die_with_parent)
        _live.append(self)
        self._pending = b""

    @property
    def pid(self):
        return self.popen.pid

    def exit_status(self):
        """None while it runs, else a description of how it ended."""
        code = self.popen.poll()
        if code is None:
            return None
        return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"

    def send(self, line):
        try:
            self.popen.stdin.write(line.encode() + b"\n")
            self.popen.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    def read_line(self, timeout_s):
        """The next line of its stdout, None at end of file or after timeout_s."""
        deadline = time.monotonic() + timeout_s
        fd = self.popen.stdout.fileno()
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                return None
            data = os.read(fd, 65536)
            if not data:
                return None
            self._pending += data
        line, self._pending = self._pending.split(b"\n", 1)
        return line.decode(errors="replace")

    def log_tail(self, lines=12):
        try:
            with open(self.log_path, "rb") as log:
                return b"\n".join(log.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def close(self, grace_s=0):
        """Ends its whole process group (SIGTERM first when grace_s > 0) and reaps it."""
        for sig, wait_s in ((signal.SIGTERM, grace_s), (signal.SIGKILL, 10)):
            if wait_s <= 0:
                continue
            try:
                os.killpg(self.popen.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.popen.wait(timeout=wait_s)
                break
            except subprocess.TimeoutExpired:
                continue
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)  # what is left of its group
        except (ProcessLookupError, PermissionError):
            pass
        for pipe in (self.popen.stdin, self.popen.stdout):
            if pipe is not None:
                pipe.close()
        if self in _live:
            _live.remove(self)


def close_all():
    for process in list(_live):
        process.close()


def sweep_strays(marker):
    """Kills and reaps every process that carries `marker`, returns how many there were."""
    needle = f"{MARKER}={marker}".encode()
    found = set()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        strays = []
        for entry in os.listdir("/proc"):
            if entry.isdigit() and int(entry) != os.getpid():
                try:
                    with open(f"/proc/{entry}/environ", "rb") as environ:
                        if needle in environ.read().split(b"\0"):
                            strays.append(int(entry))
                except OSError:
                    pass
        for pid in strays:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        found.update(strays)
        _reap_orphans()
        if not strays:
            break
        time.sleep(0.05)
    return len(found)


def _reap_orphans():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
