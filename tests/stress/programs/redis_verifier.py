"""Load and verification for the redis stress target (127.0.0.1 only).

Two threads SET and GET known values and count mismatches; a third runs
redis-benchmark with a bounded request count, again and again, for load.
Control protocol as in control.py; the checksum counts mismatches, errors and
failed benchmark runs, the keys left and a digest of the first values read.
usage: redis_verifier.py PORT REDIS_BENCHMARK DEADLINE_S
"""
import hashlib
import subprocess
import sys
import threading

from control import Control, combined_digest, serve_with
from resp import Resp, RespError

KEYS = 64
VERIFIERS = 2
BENCHMARK_RUNS = 10_000
BENCHMARK_REQUESTS = 20_000
FILLER = [hashlib.sha256(str(j).encode()).hexdigest().encode() * (1 + j % 8) for j in range(KEYS)]


def value(thread, i):
    return b"%d:%d:%s" % (thread, i, FILLER[i % KEYS])


def main():
    port, benchmark, deadline_s = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    control = Control(minimum=KEYS, deadline_s=deadline_s)
    totals = {"mismatches": 0, "errors": 0, "bench_failed": 0, "keys": 0}
    digests = {}

    lock = threading.Lock()

    def add(name, amount=1):
        with lock:
            totals[name] += amount

    def verify(thread):
        name = f"v{thread}"
        digest = hashlib.sha256()
        last = {}
        client = Resp(port)
        done = 0
        while control.running(done):
            key = f"verify:{thread}:{done % KEYS}"
            try:
                wrote = client.command("SET", key, value(thread, done))
                read = client.command("GET", key)
            except (OSError, RespError) as error:  # counted, then a new connection
                add("errors")
                print(f"{name}: {error!r}", file=sys.stderr, flush=True)
                client.close()
                if totals["errors"] > 10:
                    return
                client = Resp(port)
                continue
            last[key] = value(thread, done)
            if wrote != "OK" or read != last[key]:
                add("mismatches")
            if done < KEYS:
                digest.update(read or b"")
            done += 1
            control.count(name, done)
        for key, expected in last.items():
            if client.command("GET", key) != expected:
                add("mismatches")
            add("keys", client.command("EXISTS", key))
        client.close()
        digests[name] = digest.hexdigest()

    def load():
        command = [benchmark, "-h", "127.0.0.1", "-p", str(port), "-n", str(BENCHMARK_REQUESTS), "-c", "4", "-q",
                   "-t", "set,get,incr,lpush,lpop"]
        for _ in range(BENCHMARK_RUNS):
            if not control.running(control.minimum):
                break
            try:
                run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
                failure = run.stderr.decode(errors="replace")[-500:] if run.returncode != 0 else None
            except subprocess.TimeoutExpired:
                failure = "timed out after 120 s"
            if failure is not None:
                add("bench_failed")
                print(f"redis-benchmark failed: {failure}", file=sys.stderr, flush=True)

    threads = [threading.Thread(target=verify, args=(t,)) for t in range(VERIFIERS)]
    threads.append(threading.Thread(target=load))
    serve_with(control, threads)
    digest = combined_digest(digests)
    counts = " ".join(f"{name}={count}" for name, count in totals.items())
    control.say(f"checksum {counts} digest={digest}")


if __name__ == "__main__":
    main()
