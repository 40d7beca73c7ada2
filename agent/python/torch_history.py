# PyTorch's tensor level, read inside the target (docs/design.md, "CUDA").
#
# The agent (agent/python/torch_memory_history.cpp) runs this file once per
# session in a namespace of its own, on its own thread holding the GIL, then
# calls _leakspy_poll() about once a second and _leakspy_stop() at the end.
# Each call returns one batch (bytes, the layout below) that the agent turns
# into events of heaps cuda:N/torch (agent/python/torch_batch.h reads it).
# At the program's exit, when the agent's thread can no longer take the GIL,
# an atexit handler hands the last batch to _leakspy_deliver, a function
# of the agent's put in this namespace.
#
# It never imports torch and never initializes CUDA: it waits until the
# program has done both. Then it enables
# torch.cuda.memory._record_memory_history (Python stacks of allocations),
# reads the allocator's trace from _snapshot() and hands on the entries it
# has not handed on before. At stop it turns the history off again, unless
# the program had turned it on itself (then it is left as it was).
#
# Batch layout, little-endian:
#   b"LSTB", u8 status, u8 0, u16 0, u32 lost entries
#   u32 note length, note (UTF-8)
#   u32 code count, per code: u32 id, u16 filename length, u16 name length, filename, name
#   u32 entry count, per entry: u8 action (1 alloc, 2 free), u8 0, u16 device, u16 frame count, u16 0,
#       u64 address, u64 size, frame count x (u32 code id, u32 line), innermost first
# A code is a (filename, function name) pair, sent once per session.

import atexit as _leakspy_atexit
import struct as _leakspy_struct
import sys as _leakspy_sys

_LEAKSPY_WAITING = 0
_LEAKSPY_RECORDING = 1
_LEAKSPY_OFF = 2
# Trace entries the allocator keeps; the batch that follows a fuller trace
# clears it (when this PyTorch can), so that each snapshot costs about what
# happened since the last one.
_LEAKSPY_MAX_ENTRIES = 100000
_LEAKSPY_CLEAR_AT = _LEAKSPY_MAX_ENTRIES // 2
_LEAKSPY_MAX_FRAMES = 128
# "free" is PyTorch 2.0's name; 2.1+ says free_requested when the tensor is
# released and free_completed when its stream work is done. The tensor's
# life ends at the request.
_LEAKSPY_ACTIONS = {"alloc": 1, "free_requested": 2, "free": 2}


class _LeakspyCursor:
    """How far one device's trace has been handed on."""

    def __init__(self):
        self.newest = -1  # time_us of the newest entry handed on
        self.at_newest = 0  # entries at that time handed on
        self.position = 0  # entries handed on, for traces without times

    # The entries of `trace` not handed on before, and whether some were lost
    # (the trace wrapped past them). Entries carry time_us (2.1+), which
    # never decreases along a trace: those newer than the newest handed on,
    # and those at that same time beyond the ones already handed on.
    # Without times: by position.
    def fresh(self, trace):
        if not trace:
            return [], False
        if "time_us" not in trace[-1]:
            return self._by_position(trace)
        last = trace[-1].get("time_us", 0)
        fresh = []
        at_newest = 0
        at_last = 0
        for entry in reversed(trace):
            time = entry.get("time_us", 0)
            if time < self.newest:
                break
            at_newest += time == self.newest
            at_last += time == last
            fresh.append(entry)
        fresh.reverse()
        lost = len(trace) >= _LEAKSPY_MAX_ENTRIES and 0 <= self.newest < trace[0].get("time_us", 0)
        fresh = fresh[min(self.at_newest, at_newest) :]
        self.newest, self.at_newest = last, at_last
        return fresh, lost

    def _by_position(self, trace):
        if len(trace) < self.position:  # cleared by somebody else
            self.position = 0
        lost = len(trace) >= _LEAKSPY_MAX_ENTRIES and self.position >= len(trace)
        fresh = trace[self.position :]
        self.position = len(trace)
        return fresh, lost


class _LeakspyTensorHistory:
    def __init__(self):
        self.status = _LEAKSPY_WAITING
        self.stopping = False  # the last batch says Off
        self.enabled_by_us = False
        self.can_clear = False
        self.legacy = False
        self.codes = {}
        self.devices = {}  # device -> _LeakspyCursor
        self.notes = []

    # What the program runs: torch imported, CUDA initialized by it.
    def _torch(self):
        torch = _leakspy_sys.modules.get("torch")
        if torch is None:
            return None
        cuda = getattr(torch, "cuda", None)
        if cuda is None or not hasattr(cuda, "is_initialized") or not cuda.is_initialized():
            return None
        return torch

    def _history_on(self, torch, memory):
        probe = getattr(torch._C, "_cuda_isHistoryEnabled", None)
        if probe is not None:
            return bool(probe())
        return any(memory._snapshot().get("device_traces", []))

    def _enable(self, memory):
        try:
            memory._record_memory_history(
                enabled="all", context="alloc", stacks="python", max_entries=_LEAKSPY_MAX_ENTRIES
            )
            return
        except TypeError:
            pass
        # PyTorch 2.0: booleans, and no clearing.
        memory._record_memory_history(
            True, record_context=True, trace_alloc_max_entries=_LEAKSPY_MAX_ENTRIES, trace_alloc_record_context=True
        )
        self.legacy = True

    # Empties the trace, keeping the history on; PyTorch before 2.6 or so
    # cannot (a TypeError, raised before anything changed), and is then read
    # whole each time.
    def _clear(self, memory):
        try:
            memory._record_memory_history(
                enabled="all", context="alloc", stacks="python", max_entries=_LEAKSPY_MAX_ENTRIES, clear_history=True
            )
        except TypeError:
            self.can_clear = False
            return
        for cursor in self.devices.values():
            cursor.position = 0

    def _start(self, torch):
        memory = getattr(torch.cuda, "memory", None)
        version = getattr(torch, "__version__", "?")
        if memory is None or not hasattr(memory, "_record_memory_history") or not hasattr(memory, "_snapshot"):
            self.status = _LEAKSPY_OFF
            self.notes.append(
                "PyTorch %s has no memory history: CUDA tensors are not recorded (segments are, on cuda:N)" % version
            )
            return
        if self._history_on(torch, memory):
            self.notes.append(
                "PyTorch's memory history was already on: leakspy reads it and leaves it on (its settings decide "
                "which tensor events have stacks)"
            )
            # What happened before leakspy came stays unknown, as for every heap.
            self._entries(memory._snapshot(), [])
        else:
            self._enable(memory)
            self.enabled_by_us = True
            self.can_clear = not self.legacy
        self.status = _LEAKSPY_RECORDING
        self.notes.append("PyTorch %s: recording CUDA tensors on cuda:N/torch (memory history)" % version)

    def _code(self, filename, name, out):
        key = (filename, name)
        code = self.codes.get(key)
        if code is None:
            code = len(self.codes) + 1
            self.codes[key] = code
            file_bytes = filename.encode("utf-8", "replace")[:240]
            name_bytes = name.encode("utf-8", "replace")[:120]
            out.append(_leakspy_struct.pack("<IHH", code, len(file_bytes), len(name_bytes)) + file_bytes + name_bytes)
        return code

    def _entries(self, snapshot, codes):
        entries = []
        lost = 0
        for device, trace in enumerate(snapshot.get("device_traces", [])):
            fresh, device_lost = self.devices.setdefault(device, _LeakspyCursor()).fresh(trace)
            lost += device_lost
            for entry in fresh:
                action = _LEAKSPY_ACTIONS.get(entry.get("action"))
                address = entry.get("addr")
                if action is None or address is None:
                    continue
                frames = []
                for frame in (entry.get("frames") or [])[:_LEAKSPY_MAX_FRAMES]:
                    filename = frame.get("filename") or ""
                    if not filename or filename == "??":
                        continue
                    code = self._code(filename, frame.get("name") or "", codes)
                    frames.append(_leakspy_struct.pack("<II", code, max(0, int(frame.get("line") or 0))))
                entries.append(
                    _leakspy_struct.pack(
                        "<BBHHHQQ", action, 0, device & 0xFFFF, len(frames), 0, address & (2**64 - 1),
                        max(0, int(entry.get("size") or 0)),
                    )
                    + b"".join(frames)
                )
        return entries, lost

    def _batch(self, codes=(), entries=(), lost=0):
        note = "; ".join(self.notes).encode("utf-8", "replace")[:1000]
        self.notes = []
        parts = [
            b"LSTB",
            _leakspy_struct.pack("<BBHI", _LEAKSPY_OFF if self.stopping else self.status, 0, 0, lost),
            _leakspy_struct.pack("<I", len(note)),
            note,
            _leakspy_struct.pack("<I", len(codes)),
        ]
        parts.extend(codes)
        parts.append(_leakspy_struct.pack("<I", len(entries)))
        parts.extend(entries)
        return b"".join(parts)

    def _read(self, torch, final):
        memory = torch.cuda.memory
        snapshot = memory._snapshot()
        codes = []
        entries, lost = self._entries(snapshot, codes)
        if lost:
            self.notes.append(
                "PyTorch's memory history wrapped between two reads: some CUDA tensor events are missing"
            )
        if not final and self.can_clear and any(len(t) >= _LEAKSPY_CLEAR_AT for t in snapshot.get("device_traces", [])):
            self._clear(memory)
        return self._batch(codes, entries, lost)

    def poll(self, final=False):
        try:
            if self.status == _LEAKSPY_OFF:
                return self._batch()
            torch = self._torch()
            if torch is None:
                return self._batch()
            if self.status == _LEAKSPY_WAITING:
                if final:
                    return self._batch()
                self._start(torch)
                if self.status != _LEAKSPY_RECORDING:
                    return self._batch()
            return self._read(torch, final)
        except Exception as error:  # never the program's problem
            self.status = _LEAKSPY_OFF
            self.notes.append("CUDA tensors are no longer recorded: reading PyTorch's memory history failed: %r" % error)
            return self._batch()

    def at_exit(self):
        deliver = globals().get("_leakspy_deliver")
        if deliver is not None and self.status == _LEAKSPY_RECORDING:
            deliver(self.poll(final=True))

    def stop(self):
        _leakspy_atexit.unregister(_leakspy_at_exit)
        self.stopping = True
        batch = self.poll(final=True)
        if self.enabled_by_us:
            self.enabled_by_us = False
            try:
                torch = _leakspy_sys.modules.get("torch")
                memory = torch.cuda.memory
                if self.legacy:
                    memory._record_memory_history(False)
                else:
                    memory._record_memory_history(enabled=None)
            except Exception:
                pass
        self.status = _LEAKSPY_OFF
        return batch


_leakspy_history = _LeakspyTensorHistory()


def _leakspy_poll():
    return _leakspy_history.poll()


def _leakspy_stop():
    return _leakspy_history.stop()


def _leakspy_at_exit():
    _leakspy_history.at_exit()


_leakspy_atexit.register(_leakspy_at_exit)
