"""The driver's side of tests/stress/stop_watch.c: builds the library, and
measures windows through the page each target process shares (PID.sw)."""
import ctypes
import mmap
import os
import subprocess
import time

MAGIC = 0x6863746177706F74


class Page(ctypes.Structure):  # struct page in stop_watch.c
    _fields_ = [(name, ctypes.c_uint64) for name in (
        "magic", "pid", "request", "ack", "closed_id", "closed_max_ns", "wakeups", "current_max_ns",
        "closed_stop_ns", "current_stop_ns")]


class StopWatchTimeout(Exception):
    pass


def build(source, directory):
    library = os.path.join(directory, "stop_watch.so")
    subprocess.run(["cc", "-O2", "-Wall", "-shared", "-fPIC", "-pthread", "-o", library, source], check=True)
    return library


class StopWatch:
    """The stop-watch thread of one process: begin() and end() bracket a window."""

    def __init__(self, directory, pid, timeout_s=10):
        path = os.path.join(directory, f"{pid}.sw")
        deadline = time.monotonic() + timeout_s
        while True:  # the page exists before the target reports ready; the thread sets magic soon after
            try:
                with open(path, "r+b") as file:
                    self._map = mmap.mmap(file.fileno(), 4096)
                self._page = Page.from_buffer(self._map)
                if self._page.magic == MAGIC and self._page.pid == pid:
                    break
                del self._page
                self._map.close()
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise StopWatchTimeout(f"process {pid} has no running stop-watch ({path})")
            time.sleep(0.01)
        self.window = self._page.ack

    def close(self):
        del self._page
        self._map.close()

    def _move_to_next_window(self, timeout_s):
        self.window += 1
        self._page.request = self.window
        deadline = time.monotonic() + timeout_s
        while self._page.ack != self.window:  # the thread wakes every millisecond
            if time.monotonic() > deadline:
                raise StopWatchTimeout(f"the stop-watch thread did not answer within {timeout_s} s")
            time.sleep(0.0002)

    def begin(self, timeout_s=5):
        self._move_to_next_window(timeout_s)

    def end(self, timeout_s=5):
        """(stop, gap): the longest gap (ms) since begin() less the thread's run-queue wait, and as seen."""
        self._move_to_next_window(timeout_s)
        if self._page.closed_id != self.window - 1:
            raise StopWatchTimeout(f"window {self.window - 1} closed as {self._page.closed_id}")
        return self._page.closed_stop_ns / 1e6, self._page.closed_max_ns / 1e6
