"""Growth target: batch processing. Each batch builds a working set of
ITEMS x 16 KiB over most of BATCH_SECONDS, then drops it at once: live memory
rises and falls back to the same floor, batch after batch (a sawtooth).
  growth_batches.py [SECONDS]"""
import os
import sys
import time

BATCH_SECONDS = 0.5
ITEMS = 160
SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0


def run_batch(deadline):
    working_set = []
    for item in range(ITEMS):
        working_set.append(bytearray(16384))  # BATCH: the working set
        pause = deadline - time.monotonic()
        if pause > 0:
            time.sleep(pause / (ITEMS - item) * 0.8)
    return len(working_set)


def main():
    start = time.monotonic()
    batches = 0
    while time.monotonic() - start + BATCH_SECONDS <= SECONDS:
        run_batch(start + (batches + 1) * BATCH_SECONDS)
        batches += 1
        pause = start + batches * BATCH_SECONDS - time.monotonic()
        if pause > 0:
            time.sleep(pause)
    print("batches", batches, flush=True)


main()
os._exit(0)
