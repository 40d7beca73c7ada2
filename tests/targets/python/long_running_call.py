"""A worker thread that is already deep inside a long-running function when
leakspy attaches: outer_task -> middle_step -> long_running_loop, which keeps
allocating until stdin closes. Prints "ready" once the loop runs."""
import sys
import threading

KEPT = []
inside = threading.Event()
stop = threading.Event()


def long_running_loop():
    inside.set()
    while not stop.is_set():
        KEPT.append(bytearray(1000))  # LOOP ALLOCATION
        if len(KEPT) > 5000:
            del KEPT[:4000]


def middle_step():
    long_running_loop()


def outer_task():
    middle_step()


worker = threading.Thread(target=outer_task, name="long-runner")
worker.start()
inside.wait()
print("ready", flush=True)
sys.stdin.read()
stop.set()
worker.join()
print("done", flush=True)
