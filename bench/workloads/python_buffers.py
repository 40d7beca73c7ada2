"""Large Python buffers: COUNT bytearray(1500) made and freed one after the
other (1500 bytes is above pymalloc's 512-byte limit, so each one is a
PyMem allocation that reaches malloc).
    python3 python_buffers.py [COUNT]"""

import sys

from bench_report import Phase, report


def churn(count):
    for _ in range(count):
        buffer = bytearray(1500)
        buffer[0] = 1


def main():
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    phase = Phase()
    phase.start()
    churn(count)
    phase.stop()
    report("python_buffers", phase, objects=count)


if __name__ == "__main__":
    main()
