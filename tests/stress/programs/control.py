"""The stress targets' side of the control protocol, on stdin and stdout.

The target prints "ready" once its work runs. The driver (tests/stress/stress/
instance.py) then sends "progress", answered by "progress NAME=COUNT ...", the
work each thread or worker has verified so far, and at last "finish", after
which every worker completes its first `minimum` iterations and stops, and the
target prints "checksum TEXT" and exits. End of input counts as "finish".
Every loop is bounded in count and in time (the deadline).
"""
import hashlib
import os
import threading
import time


class Control:
    def __init__(self, minimum, deadline_s, maximum=10_000_000):
        self.minimum = minimum
        self.maximum = maximum
        self.deadline = time.monotonic() + deadline_s
        self.stop = threading.Event()
        self._counts = {}
        self._lock = threading.Lock()

    def running(self, done):
        """Whether a worker that completed `done` iterations goes on."""
        if done < self.minimum:
            return True
        return not self.stop.is_set() and done < self.maximum and time.monotonic() < self.deadline

    def count(self, name, value=None):
        """Sets (or adds one to) the progress counter `name`."""
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1 if value is None else value

    def say(self, text):
        # os.write, not sys.stdout, for the same reason as in _serve.
        with self._lock:
            os.write(1, (text + "\n").encode())

    def serve(self):
        """Answers the driver on a daemon thread."""
        threading.Thread(target=self._serve, name="control", daemon=True).start()

    def _serve(self):
        # os.read, not sys.stdin: a child forked while this thread waited in
        # sys.stdin would inherit its lock held (multiprocessing closes stdin).
        pending = b""
        while True:
            data = os.read(0, 4096)
            if not data:
                break
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if line == b"finish":
                    self.stop.set()
                    return
                if line == b"progress":
                    self._answer_progress()
        self.stop.set()

    def _answer_progress(self):
        with self._lock:
            counts = " ".join(f"{name}={value}" for name, value in sorted(self._counts.items()))
        self.say("progress " + counts)


def serve_with(control, threads):
    """Starts the work threads, says ready, answers the driver until it says
    finish, then waits for the threads."""
    for thread in threads:
        thread.start()
    control.say("ready")
    control.serve()
    for thread in threads:
        thread.join()


def combined_digest(digests):
    """One short digest of named digests, whatever order they finished in."""
    return hashlib.sha256("".join(digests[name] for name in sorted(digests)).encode()).hexdigest()[:16]
