"""Stress target: 8 threads allocate while the main thread waits in Thread.join().

Four hold the GIL (lists and strings, dicts and JSON), two release it in
hashlib.sha256 over 4 MiB buffers, two in time.sleep. Every iteration checks its
result against a table computed at start; the checksum is the number of
mismatches and a digest of the first iterations' results (timing-independent).
"""
import hashlib
import json
import sys
import threading
import time

from control import Control, combined_digest, serve_with

JOBS = 16
BUFFERS = [bytes((k * 7 + b) & 0xFF for k in range(256)) * 16384 for b in range(4)]


def lists(j):
    data = [(k * 2654435761 + j) % 1000003 for k in range(20000)]
    data.sort()
    text = ",".join(map(str, data[::100]))
    return f"{sum(data)}:{hashlib.md5(text.encode()).hexdigest()}"


def dicts(j):
    table = {f"k{k}": [k, j, str(k * j)] for k in range(5000)}
    return f"{len(table)}:{sum(v[0] + v[1] for v in table.values())}:{len(json.dumps(table))}"


def sha(j):
    digest = hashlib.sha256(BUFFERS[j % len(BUFFERS)])
    digest.update(j.to_bytes(4, "little"))
    return digest.hexdigest()


def nap(j):
    time.sleep(0.002)
    return str(sum([k * j for k in range(j * 100)]))


KINDS = {"lists": lists, "dicts": dicts, "sha": sha, "sleep": nap}


def main():
    control = Control(minimum=JOBS, deadline_s=float(sys.argv[1]) if len(sys.argv) > 1 else 3600)
    expected = {kind: [job(j) for j in range(JOBS)] for kind, job in KINDS.items()}
    mismatches = [0]
    digests = {}

    def work(name, kind, offset):
        digest = hashlib.sha256()
        done = 0
        while control.running(done):
            j = (done + offset) % JOBS
            result = KINDS[kind](j)
            if result != expected[kind][j]:
                mismatches[0] += 1
            if done < JOBS:
                digest.update(result.encode())
            done += 1
            control.count(name, done)
        digests[name] = digest.hexdigest()

    workers = [threading.Thread(target=work, args=(f"{kind}{n}", kind, n), name=f"{kind}{n}")
               for kind in KINDS for n in range(2)]
    serve_with(control, workers)
    control.say(f"checksum mismatches={mismatches[0]} digest={combined_digest(digests)}")


if __name__ == "__main__":
    main()
