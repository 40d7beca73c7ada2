"""gunicorn settings for the stress target: each worker reports "worker PID" on
the pipe whose write end is $LEAKSPY_STRESS_READY_FD once it serves (the ready
handshake)."""
import os


def post_worker_init(worker):
    try:
        os.write(int(os.environ["LEAKSPY_STRESS_READY_FD"]), b"worker %d\n" % os.getpid())
    except OSError:  # the driver stopped listening; the worker serves all the same
        pass
