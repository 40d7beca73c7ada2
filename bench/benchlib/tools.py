"""The tools the harness compares: how to run a workload under each, which
of leakspy's subcommands exist yet, and what their captures hold."""

import glob
import os
import re
import shutil
import struct
import subprocess

from .runner import run_command

UNTRACKED = "untracked"
LEAKSPY = "leakspy"
HEAPTRACK = "heaptrack"
TOOLS = (UNTRACKED, LEAKSPY, HEAPTRACK)


def _help_text(argv, name):
    """The --help output of `leakspy NAME`, or None while NAME is not built.
    CLI11 answers `leakspy NAME --help` for an unknown NAME with the main
    help and exit code 0, so the text must be NAME's own usage line."""
    try:
        done = subprocess.run(argv + [name, "--help"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout + done.stderr
    if done.returncode != 0 or not re.search(r"^Usage: \S*leakspy " + re.escape(name) + r"\b", text, re.MULTILINE):
        return None
    return text


class Leakspy:
    def __init__(self, build_dir):
        self.binary = os.path.join(build_dir, "bin", "leakspy")
        self.agent = os.path.join(build_dir, "lib", "libleakspy_agent.so")
        self._help = {}

    def available(self):
        return os.access(self.binary, os.X_OK) and os.path.exists(self.agent)

    def subcommand_help(self, name):
        """The help text of `leakspy NAME`, or None while NAME is not built."""
        if name not in self._help:
            self._help[name] = _help_text([self.binary], name) if self.available() else None
        return self._help[name]

    def has(self, name):
        return self.subcommand_help(name) is not None

    def run_argv(self, capture, argv):
        return [self.binary, "run", "-o", capture, "--"] + list(argv)

    def record_argv(self, capture, pid, safety_duration_s):
        argv = [self.binary, "record", "--pid", str(pid), "-o", capture]
        if "--duration" in (self.subcommand_help("record") or ""):
            # The harness stops it with SIGINT; the duration only bounds a run
            # whose stop went wrong.
            argv += ["--duration", str(int(safety_duration_s))]
        return argv

    def report_argv(self, name, capture, output):
        """(argv, to_stdout): `leakspy top CAPTURE` prints its table (the
        harness sends stdout to output); `leakspy flamegraph CAPTURE -o
        OUTPUT` writes the SVG (cli/top_command.cpp, flamegraph_command.cpp)."""
        if name == "flamegraph":
            return [self.binary, "flamegraph", capture, "-o", output], False
        return [self.binary, name, capture], True

    def stats(self, capture):
        """What `leakspy inspect --stats` says about a capture, plus bytes per
        event computed here from the file size (inspect rounds to 3 digits)."""
        result = run_command([self.binary, "inspect", "--stats", capture], timeout_s=600)
        stats = {"capture_bytes": os.path.getsize(capture) if os.path.exists(capture) else None,
                 "inspect_ok": result.exit_code == 0}
        text = result.stdout
        patterns = {
            "events": r"^events: (\d+)",
            "raw_bytes_per_event": r"bytes per event \(file\), ([\d.]+) before compression",
            "dropped_events": r"^dropped events: (\d+)",
            "unknown_frees": r"^unknown frees: (\d+)",
            "implicit_frees": r"^implicit frees: (\d+)",
            "late_events": r"late events: (\d+)",
            "stacks_lost": r"stacks lost: (\d+)",
        }
        for key, pattern in patterns.items():
            match = re.search(pattern, text, re.MULTILINE)
            if match:
                stats[key] = float(match.group(1)) if "." in match.group(1) else int(match.group(1))
        stats["truncated"] = "TRUNCATED" in text or "truncated" in result.stderr
        if stats.get("events") and stats["capture_bytes"] is not None:
            stats["bytes_per_event"] = stats["capture_bytes"] / stats["events"]
        return stats


def read_capture_clock(capture):
    """(start_monotonic_ns, time_unit_ns) from a capture's header
    (docs/capture-format.md: magic, version, header length, then varints pid,
    start_unix_ns, start_monotonic_ns, time_unit_ns), or None."""
    try:
        with open(capture, "rb") as file:
            head = file.read(16)
            if len(head) < 16 or head[:8] != b"LSPYCAP\n":
                return None
            length = struct.unpack("<I", head[12:16])[0]
            payload = file.read(length)
    except OSError:
        return None
    values, value, shift = [], 0, 0
    for byte in payload:
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            values.append(value)
            value, shift = 0, 0
            if len(values) == 4:
                return values[2], values[3] or 1
    return None


EVENT_NAMES = ("alloc", "free", "free-range", "realloc-out", "realloc-in")


def first_event_seconds(leakspy, capture):
    """Seconds from the start of recording to the first event of a capture,
    read from `leakspy inspect` (which prints `[seconds] type ...` per record;
    only the beginning of the output is read)."""
    try:
        process = subprocess.Popen([leakspy.binary, "inspect", capture], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:
        return None
    found = None
    try:
        for line in process.stdout:
            match = re.match(r"\[\s*([\d.]+)\]\s+(\S+)", line)
            if match and match.group(2) in EVENT_NAMES:
                found = float(match.group(1))
                break
    finally:
        process.kill()
        process.wait()
        process.stdout.close()
    return found


class Heaptrack:
    def __init__(self):
        self.binary = shutil.which("heaptrack")

    def available(self):
        return self.binary is not None

    def version(self):
        if not self.binary:
            return None
        done = subprocess.run([self.binary, "--version"], capture_output=True, text=True)
        return done.stdout.strip()

    def run_argv(self, prefix, argv, raw=False):
        return [self.binary] + (["--raw"] if raw else []) + ["-o", prefix] + list(argv)

    def attach_argv(self, prefix, pid):
        return [self.binary, "-o", prefix, "-p", str(pid)]

    @staticmethod
    def output_file(prefix):
        """heaptrack appends .zst (or .gz) to the -o path."""
        found = sorted(glob.glob(glob.escape(prefix) + ".*"))
        return found[0] if found else None

    @staticmethod
    def stats(stdout, prefix):
        """heaptrack's own summary (`allocations:`, `leaked allocations:`) and
        the output size. heaptrack counts allocations, so its events are
        allocations + the frees of those that did not leak."""
        stats = {}
        for key, pattern in (("allocations", r"^\s*allocations:\s+(\d+)"),
                             ("leaked_allocations", r"^\s*leaked allocations:\s+(\d+)")):
            match = re.search(pattern, stdout, re.MULTILINE)
            if match:
                stats[key] = int(match.group(1))
        if "allocations" in stats:
            stats["events"] = 2 * stats["allocations"] - stats.get("leaked_allocations", 0)
        output = Heaptrack.output_file(prefix)
        stats["capture_bytes"] = os.path.getsize(output) if output else None
        return stats
