"""Files leakspy may leave behind: /tmp/leakspy-* and /tmp/*/leakspy-* (its
socket directories under $TMPDIR, and agent copies), before and after."""
import glob
import os

PATTERNS = ("/tmp/leakspy-*", "/tmp/*/leakspy-*")
# The test suite's own scratch directories (tests/support/process.cpp), made by
# tests that may run meanwhile, never by leakspy.
NOT_LEAKSPY = "leakspy-test-"


def _in_use():
    """Paths of Unix sockets bound now: a socket directory of a live leakspy."""
    try:
        with open("/proc/net/unix") as table:
            return {line.split()[7] for line in table.read().splitlines()[1:] if len(line.split()) > 7}
    except OSError:
        return set()


def snapshot(extra_dirs=()):
    patterns = list(PATTERNS) + [os.path.join(d, "leakspy-*") for d in extra_dirs]
    return {path for pattern in patterns for path in glob.glob(pattern)
            if not os.path.basename(path).startswith(NOT_LEAKSPY)}


def new_since(before, extra_dirs=()):
    """What appeared since `before` and is not a live leakspy's socket directory (another run's)."""
    bound = _in_use()
    return sorted(path for path in snapshot(extra_dirs) - before
                  if not any(socket.startswith(path + "/") for socket in bound))
