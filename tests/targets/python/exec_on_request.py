"""Process-tree target for record: allocates until a line arrives on stdin,
then starts PROGRAM... (default: sleep 60) one of three ways. Prints "ready"
once running.
  exec_on_request.py [--now] [exec|exec-clean-env|subprocess] [PROGRAM ...]
  exec            os.execv: the same pid runs PROGRAM from there
  exec-clean-env  os.execve with an environment of its own (PATH only)
  subprocess      subprocess.run(PROGRAM) with env={"A": "1"}, then "started"
                  once it ended, and wait for another line to exit
  --now           no line to wait for (for leakspy run)"""
import os
import sys
import threading

arguments = sys.argv[1:]
now = arguments[:1] == ["--now"]
if now:
    arguments = arguments[1:]
mode = arguments[0] if arguments else "exec"
program = arguments[1:] or ["/bin/sleep", "60"]

kept = []
stop = threading.Event()


def allocate():
    while not stop.is_set():
        kept.append(bytearray(1000))
        stop.wait(0.01)


threading.Thread(target=allocate, daemon=True).start()
print("ready", flush=True)
if not now:
    sys.stdin.readline()
stop.set()
if mode == "exec":
    os.execv(program[0], program)
elif mode == "exec-clean-env":
    os.execve(program[0], program, {"PATH": "/usr/bin:/bin"})
else:
    import subprocess  # here: its import's allocations are no rival to the leak of what it runs

    subprocess.run(program, env={"A": "1"}, check=True)
    print("started", flush=True)
    sys.stdin.readline()
