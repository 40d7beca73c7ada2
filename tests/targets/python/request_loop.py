"""Drives an HTTP server on 127.0.0.1 with a bounded loop of GET requests.
  request_loop.py PORT COUNT INTERVAL_SECONDS
Waits up to 30 s for the server to answer, prints "serving", then sends
COUNT requests INTERVAL_SECONDS apart and prints "done"."""
import sys
import time
import urllib.request


def get(url):
    with urllib.request.urlopen(url, timeout=5) as answer:
        return answer.read()


def main():
    port, count, interval = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    url = "http://127.0.0.1:%d/" % port
    deadline = time.monotonic() + 30
    while True:
        try:
            get(url)
            break
        except OSError:
            if time.monotonic() > deadline:
                print("no answer", flush=True)
                sys.exit(1)
            time.sleep(0.1)
    print("serving", flush=True)
    for _ in range(count):
        try:
            get(url)
        except OSError:
            pass  # a worker restarting (--max-requests) drops a request now and then
        time.sleep(interval)
    print("done", flush=True)


if __name__ == "__main__":
    main()
