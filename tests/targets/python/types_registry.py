"""Type growth target (issue 17): Session objects made 50 times a second.
With "registry", each is kept in a module-level list that never shrinks;
with "cache", only the last 40 are kept (a bounded cache of the same class).
  types_registry.py registry|cache [SECONDS]"""
import collections
import os
import sys

from paced_requests import serve_at_rate

MODE = sys.argv[1]
SECONDS = float(sys.argv[2]) if len(sys.argv) > 2 else 6.0


class Session:
    def __init__(self, number):
        self.number = number
        self.headers = {"id": number}


registry = []
recent = collections.deque(maxlen=40)


def handle(number):
    session = Session(number)
    if MODE == "registry":
        registry.append(session)
    else:
        recent.append(session)


done = serve_at_rate(handle, 50, SECONDS)
print("sessions", done, "kept", len(registry) or len(recent), flush=True)
os._exit(0)
