"""The request loop of the growth targets: calls a handler at a steady rate,
paced against the monotonic clock so that the rate holds on a slow machine."""
import time


def serve_at_rate(handle, rate, seconds):
    """Calls handle(0), handle(1), ... `rate` times a second for `seconds`;
    returns how many requests were served."""
    start = time.monotonic()
    done = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            return done
        while done < int(elapsed * rate):
            handle(done)
            done += 1
        time.sleep(0.002)
