"""Python 3.11+ (co_qualname). Allocates from a function whose name and file name carry terminal escape
sequences (set the title, clear the screen), as a hostile program could make
them: reports must print them as text, never send them to the terminal."""
import sys
import time

kept = []


def leak():
    kept.append([0] * 1000)  # LEAK


NAME = "\x1b]0;pwned\x07\x1b[2Jleak"  # set the window title, clear the screen
hostile = leak.__code__.replace(co_name=NAME, co_qualname=NAME, co_filename="/srv/\x1b[31mevil.py")
leak = type(leak)(hostile, globals())
for _ in range(200):
    leak()
print("ready", flush=True)
# And for half a second more: the agent's Python frames may start after
# the first allocations (a slow recorder, a loaded machine).
until = time.monotonic() + 0.5
while time.monotonic() < until:
    leak()
    time.sleep(0.002)
sys.stdin.read()
