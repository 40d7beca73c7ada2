"""A PyTorch-style service that keeps one 4 MiB CUDA tensor per request (the
line marked LEAK) among 1 MiB temporaries it lets go. Runs on the fake torch
of tests/targets/fake_torch (on PYTHONPATH; no GPU needed): the GPU machine's
counterpart with real PyTorch is tests/targets/gpu/torch_cuda_leak.py.

    torch_tensor_service.py [--history-on | --wait-for-history]

Initializes CUDA, prints "ready", then serves a request every 10 ms until
stdin closes; then prints "served N" and the memory history's state:
"history on" or "history off". --history-on: the program turns the history
on itself before serving; --wait-for-history: it serves once somebody else
(leakspy) has turned it on, so that every request is in the history.
"""
import sys
import threading
import time

import torch

kept = []


def handle_request():
    scratch = torch.cuda.empty(1 << 20)  # let go at return
    kept.append(torch.cuda.empty(4 << 20))  # LEAK
    return scratch.nbytes


def serve(stop):
    while not stop.is_set():
        handle_request()
        time.sleep(0.01)


def main():
    torch.cuda.init()
    if "--history-on" in sys.argv:
        torch.cuda.memory._record_memory_history(enabled="all", context="all", stacks="python", max_entries=500000)
    while "--wait-for-history" in sys.argv and not torch.cuda.memory.history_calls:
        time.sleep(0.01)
    stop = threading.Event()
    worker = threading.Thread(target=serve, args=(stop,), name="request-worker")
    worker.start()
    print("ready", flush=True)
    sys.stdin.read()
    stop.set()
    worker.join()
    calls = torch.cuda.memory.history_calls
    state = "on" if calls and calls[-1]["enabled"] is not None else "off"
    print("served", len(kept), flush=True)
    print("history", state, flush=True)
    print("history calls", calls, flush=True)


if __name__ == "__main__":
    main()
