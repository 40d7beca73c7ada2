"""Program-end target: leaks 10,000-byte buffers at a steady pace from one
line, then ends normally, so that the interpreter's finalization frees them
all (the teardown a run-to-completion recording ends with).
  leak_to_the_end.py SECONDS [--free]   --free: release them before exiting"""
import sys
import time

SECONDS = float(sys.argv[1])
kept = []


def handle_request():
    kept.append(bytearray(10000))  # LEAK
    scratch = [0] * 1000
    return len(scratch)


def main():
    start = time.monotonic()
    while time.monotonic() - start < SECONDS:
        handle_request()
        time.sleep(0.005)
    if "--free" in sys.argv:
        kept.clear()
        time.sleep(0.2)  # let the release be seen as part of the program's life
    print("done", flush=True)


main()
