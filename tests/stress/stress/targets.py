"""The five stress targets: how to start each (with its ready handshake), which
process leakspy attaches to, and which tools it needs."""
import os
import select
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field

from .instance import Instance
from .processes import MARKER, Process, free_port

PYTHON = "/usr/bin/python3"


@dataclass
class Context:
    run_dir: str            # private temporary directory of this run
    programs: str           # tests/stress/programs
    stop_watch_lib: str
    stop_watch_dir: str
    marker: str             # the environment marker of every process started
    deadline_s: float       # no target works longer than this
    leakspy_env: dict = None  # leakspy's environment: TMPDIR is run_dir
    scratch_dirs: tuple = ()  # where leakspy may leave files besides /tmp
    built: dict = field(default_factory=dict)

    def env(self, preload=True, **extra):
        env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "PYTHONPATH", "PYTHONHOME")}
        env[MARKER] = self.marker
        if preload:
            env.update(LD_PRELOAD=self.stop_watch_lib, LEAKSPY_STOPWATCH_DIR=self.stop_watch_dir)
        env.update(extra)
        return env

    def log(self, name):
        return os.path.join(self.run_dir, f"{name}.log")

    def program(self, name):
        return os.path.join(self.programs, name)


def _ready(started, make_instance):
    """make_instance() then its ready handshake; on any failure ends what was started."""
    try:
        instance = make_instance()
        instance.wait_ready()
        return instance
    except BaseException:
        for process in reversed(started):
            process.close()
        raise


def _single(ctx, n, name, argv, description):
    """A target that is one process and speaks the control protocol itself."""
    target = Process(name, argv, ctx.env(), ctx.log(f"{name}-{n}"), control=True)
    return _ready([target], lambda: Instance([target], target, target.pid, description=description))


def start_python(ctx, n):
    return _single(ctx, n, "python_threads.py", [PYTHON, ctx.program("python_threads.py"), str(ctx.deadline_s)],
                   "python3, 8 threads, main in Thread.join()")


def start_torch(ctx, n):
    return _single(ctx, n, "torch_loader.py", [PYTHON, ctx.program("torch_loader.py"), str(ctx.deadline_s)],
                   "torch DataLoader(num_workers=2), main process")


def start_c(ctx, n):
    binary = ctx.built.get("c")
    if binary is None:
        binary = ctx.built["c"] = os.path.join(ctx.run_dir, "c_threads")
        subprocess.run(["cc", "-O2", "-g", "-pthread", "-o", binary, ctx.program("c_threads.c")], check=True)
    return _single(ctx, n, "c_threads", [binary, str(ctx.deadline_s)], "C, 16 threads in malloc/free")


def start_redis(ctx, n):
    port = free_port()
    notify_path = os.path.join(ctx.run_dir, f"redis-notify-{n}.sock")
    started = []

    def make_instance():
        server = Process("redis-server", [shutil.which("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                                          "--save", "", "--appendonly", "no", "--supervised", "systemd",
                                          "--daemonize", "no"],
                         ctx.env(NOTIFY_SOCKET=notify_path), ctx.log(f"redis-server-{n}"))
        started.append(server)
        notify.settimeout(30)
        try:  # redis-server sends READY=1 to $NOTIFY_SOCKET once it accepts connections
            while b"READY=1" not in notify.recv(4096):
                pass
        except socket.timeout:
            raise RuntimeError(f"redis-server did not report ready; its log:\n{server.log_tail()}")
        verifier = Process("redis_verifier.py", [PYTHON, ctx.program("redis_verifier.py"), str(port),
                                                 shutil.which("redis-benchmark"), str(ctx.deadline_s)],
                           ctx.env(preload=False), ctx.log(f"redis-verifier-{n}"), control=True)
        started.append(verifier)
        return Instance([server, verifier], verifier, server.pid, description=f"redis-server on port {port}")

    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(notify_path)
        try:
            return _ready(started, make_instance)
        finally:
            os.unlink(notify_path)


def _worker_pids(fd, count, timeout_s):
    """The pids of the first `count` "worker PID" lines on `fd`, None after timeout_s."""
    pids, pending = [], b""
    deadline = time.monotonic() + timeout_s
    while len(pids) < count:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        data = os.read(fd, 4096)
        if not data:
            return None
        pending += data
        *lines, pending = pending.split(b"\n")
        pids += [int(line.split()[1]) for line in lines if line.startswith(b"worker ")]
    return pids


def start_gunicorn(ctx, n):
    port = free_port()
    started = []

    def make_instance():
        ready_read, ready_write = os.pipe()
        try:
            try:
                server = Process("gunicorn", [shutil.which("gunicorn"), "-c", ctx.program("gunicorn_conf.py"),
                                              "--chdir", ctx.programs, "--bind", f"127.0.0.1:{port}",
                                              "--workers", "2", "--worker-class", "sync", "flask_app:app"],
                                 ctx.env(LEAKSPY_STRESS_READY_FD=str(ready_write)), ctx.log(f"gunicorn-{n}"),
                                 pass_fds=(ready_write,))
            finally:
                os.close(ready_write)
            started.append(server)
            workers = _worker_pids(ready_read, 2, 60)
        finally:
            os.close(ready_read)
        if workers is None:
            raise RuntimeError(f"gunicorn's workers did not report ready; its log:\n{server.log_tail()}")
        verifier = Process("http_verifier.py", [PYTHON, ctx.program("http_verifier.py"), str(port),
                                                str(ctx.deadline_s)],
                           ctx.env(preload=False), ctx.log(f"http-verifier-{n}"), control=True)
        started.append(verifier)
        return Instance([server, verifier], verifier, workers[0], watched=[f"pid{workers[0]}"],
                        description=f"gunicorn sync worker {workers[0]} of master {server.pid}")

    return _ready(started, make_instance)


@dataclass
class Target:
    name: str
    start: object           # start(ctx, instance_number) -> a ready Instance
    programs: tuple = ()    # executables it needs
    modules: tuple = ()     # modules /usr/bin/python3 must import

    def missing(self):
        """Why this target cannot run here, None when it can."""
        for program in self.programs:
            if shutil.which(program) is None:
                return f"{program} is not installed (scripts/setup.sh installs it)"
        for module in self.modules:
            check = subprocess.run([PYTHON, "-c", f"import {module}"], capture_output=True, text=True)
            if check.returncode != 0:
                return f"{PYTHON} cannot import {module}: {check.stderr.strip().splitlines()[-1:]}"
        return None


TARGETS = {
    "python": Target("python", start_python, programs=(PYTHON,)),
    "redis": Target("redis", start_redis, programs=("redis-server", "redis-benchmark", PYTHON)),
    "gunicorn": Target("gunicorn", start_gunicorn, programs=("gunicorn", PYTHON), modules=("flask",)),
    "torch": Target("torch", start_torch, programs=(PYTHON,), modules=("torch",)),
    "c": Target("c", start_c, programs=("cc",)),
}
