"""Runs leakspy: a private copy of the binary and its agent (the build may be
rebuilt during a run), `record` with a timeout, and `inspect --stats`."""
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass

RECORD_TIMEOUT_S = 60


def snapshot(binary, directory, wait_s=120):
    """Copies `binary` and ../lib/libleakspy_agent.so into `directory`/{bin,lib}.
    A missing or busy file (a rebuild in progress) is waited for, not a failure."""
    source_lib = os.path.join(os.path.dirname(os.path.abspath(binary)), "..", "lib")
    agent = next((os.path.join(source_lib, sub, "libleakspy_agent.so") for sub in ("", "leakspy")
                  if os.path.exists(os.path.join(source_lib, sub, "libleakspy_agent.so"))),
                 os.path.join(source_lib, "libleakspy_agent.so"))
    copy = os.path.join(directory, "bin", "leakspy")
    os.makedirs(os.path.dirname(copy), exist_ok=True)
    os.makedirs(os.path.join(directory, "lib"), exist_ok=True)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            stamps = (os.stat(binary).st_mtime_ns, os.stat(agent).st_mtime_ns)
            shutil.copy2(binary, copy)
            shutil.copy2(agent, os.path.join(directory, "lib"))
            version = subprocess.run([copy, "--version"], capture_output=True, text=True, timeout=30)
            if version.returncode == 0 and stamps == (os.stat(binary).st_mtime_ns, os.stat(agent).st_mtime_ns):
                built = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamps[0] / 1e9))
                return copy, f"{version.stdout.strip()}, built {built}"
            problem = f"--version exited {version.returncode}" if version.returncode else "changed while copied"
        except (OSError, subprocess.SubprocessError) as error:
            problem = str(error)
        if time.monotonic() > deadline:
            raise RuntimeError(f"no usable leakspy at {binary}: {problem}")
        print(f"attach-stress: waiting for {binary} ({problem})", flush=True)
        time.sleep(3)


@dataclass
class Recording:
    code: int           # leakspy's exit status; -SIGNAL when killed
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def attached_ms(self):
        """What leakspy itself reports as the stop ("attached to process N (...) in X ms")."""
        found = re.search(r"attached to process \d+ .* in (\d+) ms", self.stderr)
        return int(found.group(1)) if found else None

    def describe(self):
        """One line that says what happened, then all leakspy printed."""
        how = f"timed out after {RECORD_TIMEOUT_S} s" if self.timed_out else f"exited with status {self.code}"
        lines = [line for line in self.stderr.strip().splitlines() if line.strip()]
        key = next((line for line in lines if "error" in line.lower()), lines[-1] if lines else "(no output)")
        return f"leakspy record {how}: {key}\n" + self.stderr.strip()


def _stop(process):
    """Ctrl-C first, so that leakspy detaches, then SIGKILL."""
    for sig, wait_s in ((signal.SIGINT, 10), (signal.SIGKILL, 10)):
        try:
            process.send_signal(sig)
            return process.communicate(timeout=wait_s)[1]
        except subprocess.TimeoutExpired:
            continue
        except ProcessLookupError:
            break
    return ""


def record(leakspy, pid, output, duration_s, env):
    began = time.monotonic()
    process = subprocess.Popen([leakspy, "record", "--pid", str(pid), "--duration", str(duration_s), "-o", output],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env=env, text=True, errors="replace", start_new_session=True)
    try:
        stderr = process.communicate(timeout=RECORD_TIMEOUT_S)[0]
        return Recording(process.returncode, stderr, time.monotonic() - began)
    except subprocess.TimeoutExpired:
        stderr = _stop(process) or ""
        return Recording(process.returncode, stderr, time.monotonic() - began, timed_out=True)
    except BaseException:  # Ctrl-C of the driver: leakspy must detach before the target is killed
        _stop(process)
        raise


def inspect_stats(leakspy, capture):
    """None when the capture reads back, else what went wrong."""
    run = subprocess.run([leakspy, "inspect", "--stats", capture], capture_output=True, text=True,
                         errors="replace", timeout=120)
    if run.returncode != 0:
        return f"leakspy inspect --stats exited with status {run.returncode}:\n{run.stderr.strip()}"
    if "records:" not in run.stdout:
        return f"leakspy inspect --stats printed no record counts:\n{run.stdout.strip()[:2000]}"
    return None
