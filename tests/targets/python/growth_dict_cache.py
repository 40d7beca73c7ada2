"""Growth target: an unbounded dict cache. Each request stores a 4096-byte
bytes object under a new key and nothing is ever evicted: a leak of
RATE x 4129 bytes a second (the object header is 33 bytes) at the marked
line. Paced against the monotonic clock, so the rate holds on a slow machine.
Ends with os._exit: the cache is still live when the recording ends, as in a
service that is stopped.
  growth_dict_cache.py [SECONDS]"""
import os
import sys

from paced_requests import serve_at_rate

RATE = 200  # requests a second
SIZE = 4096
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0

CACHE = {}


def handle(key):
    CACHE[key] = bytes(SIZE)  # LEAK: unbounded cache


def main():
    done = serve_at_rate(handle, RATE, SECONDS)
    print("requests", done, flush=True)


main()
os._exit(0)
