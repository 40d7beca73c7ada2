"""Growth target: memory held for a while and released in bulk near the
end. A model's buffers are loaded in the first second, kept while the job
runs, and dropped at once at 85% of the run; then the job winds down.
  growth_released_late.py [SECONDS]"""
import os
import sys
import time

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0


def load(buffers):
    for _ in range(64):
        buffers.append(bytearray(32768))  # HELD: released late
        time.sleep(0.01)


def main():
    start = time.monotonic()
    buffers = []
    load(buffers)
    time.sleep(max(0.0, start + 0.85 * SECONDS - time.monotonic()))
    buffers.clear()
    time.sleep(max(0.0, start + SECONDS - time.monotonic()))
    print("done", flush=True)


main()
os._exit(0)
