"""Small-object churn: ROUNDS rounds of building request-like records out of
dicts, lists and strings, keeping the last 1000 (a rolling window, as a
service keeps recent requests) and dropping the rest. Deterministic.
    python3 python_churn.py [ROUNDS]"""

import sys
from collections import deque

from bench_report import Phase, report


def make_record(i):
    key = "user-" + str(i % 997)
    tags = [key, "shard-%d" % (i % 16), str(i)]
    return {"id": i, "key": key, "tags": tags, "scores": [i * 0.5, i * 0.25], "path": "/".join(tags)}


def churn(rounds):
    window = deque(maxlen=1000)
    total = 0
    for i in range(rounds):
        record = make_record(i)
        total += len(record["path"])
        window.append(record)
    return total


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 500_000
    phase = Phase()
    phase.start()
    churn(rounds)
    phase.stop()
    report("python_churn", phase, rounds=rounds)


if __name__ == "__main__":
    main()
