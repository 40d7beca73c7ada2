"""Growth target: a bounded cache. functools.lru_cache(maxsize=MAXSIZE) is
asked for a new key RATE times a second, so it fills up within the first
second and then evicts one entry for each new one: its memory plateaus.
  growth_lru_cache.py [SECONDS]"""
import functools
import os
import sys

from paced_requests import serve_at_rate

RATE = 400
MAXSIZE = 300
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0


@functools.lru_cache(maxsize=MAXSIZE)
def render(key):
    return bytes(4096)  # CACHED: bounded by maxsize


def main():
    done = serve_at_rate(render, RATE, SECONDS)
    print("requests", done, render.cache_info(), flush=True)


main()
os._exit(0)
