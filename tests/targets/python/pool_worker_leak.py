"""Process-tree target: a multiprocessing.Pool(2) whose worker function
leaks 10,000-byte buffers from one line; the parent only hands out tasks.
  pool_worker_leak.py START_METHOD   (fork, spawn or forkserver)"""
import multiprocessing
import sys
import time

kept = []


def handle(task):
    kept.append(bytearray(10000))  # LEAK
    time.sleep(0.002)
    return task


def main():
    context = multiprocessing.get_context(sys.argv[1])
    with context.Pool(2) as pool:
        for _ in range(4):
            pool.map(handle, range(100), chunksize=1)
    print("done", flush=True)


if __name__ == "__main__":
    main()
