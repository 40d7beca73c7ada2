"""Process-tree target for record: allocates until a line arrives on stdin,
then execs `sleep 60` (the same pid runs another program from there).
Prints "ready" once running."""
import os
import sys
import threading

kept = []
stop = threading.Event()


def allocate():
    while not stop.is_set():
        kept.append(bytearray(1000))
        stop.wait(0.01)


threading.Thread(target=allocate, daemon=True).start()
print("ready", flush=True)
sys.stdin.readline()
stop.set()
os.execv("/bin/sleep", ["sleep", "60"])
