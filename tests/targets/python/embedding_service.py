"""A service-like loop with a planted leak: each request stores a 768-float
embedding list under a new key in a module-level dict that is never trimmed.
The request loop runs on a worker thread. Prints "ready" once serving, and
serves until stdin closes."""
import sys
import threading

EMBEDDINGS = {}


def handle(request_id):
    EMBEDDINGS[request_id] = [float(i % 7) for i in range(768)]  # LEAK
    reply = {"id": request_id, "status": "ok", "tokens": [str(i) for i in range(20)]}
    return len(str(reply))


def serve(stop):
    request_id = 0
    while not stop.is_set():
        handle(request_id)
        request_id += 1
        if request_id == 500:
            print("ready", flush=True)


def main():
    stop = threading.Event()
    worker = threading.Thread(target=serve, args=(stop,), name="request-worker")
    worker.start()
    sys.stdin.read()  # until the test closes stdin
    stop.set()
    worker.join()
    print("served", len(EMBEDDINGS), flush=True)


if __name__ == "__main__":
    main()
