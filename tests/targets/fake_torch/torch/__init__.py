"""A stand-in for PyTorch with CUDA, for testing leakspy's tensor level on
machines without a GPU (tests/integration/torch_tensor_test.cpp). It is a
test double for the absent GPU, not a model of PyTorch's allocator: it keeps
only the surface leakspy's reader uses (agent/python/torch_history.py), the
way PyTorch 2.x behaves:

- it maps a library named libc10_cuda.so (path in $LEAKSPY_FAKE_C10_CUDA),
- torch.cuda.is_initialized() turns true at torch.cuda.init(),
- torch.cuda.memory._record_memory_history(enabled="all"|None, context=,
  stacks=, max_entries=, clear_history=) turns the trace on and off (off
  clears it), and _snapshot() returns {"segments": [], "device_traces":
  [[entry, ...] per device]} with entries shaped like PyTorch's: action
  ("alloc", "free_requested", "free_completed", "segment_alloc"), addr, size,
  stream, time_us, frames (filename, line, name; innermost first; only on
  allocations, as with context="alloc").

torch.cuda.empty(nbytes, device=0) returns a "tensor" holding a block of a
simulated device address space; dropping the last reference frees it.
torch.cuda.memory.history_calls lists the _record_memory_history calls.
"""
import ctypes
import os
import sys
import threading
import time

__version__ = "2.5.0+leakspy.fake"

ctypes.CDLL(os.environ["LEAKSPY_FAKE_C10_CUDA"])


class _C:
    pass


class _Allocator:
    def __init__(self):
        self.lock = threading.Lock()
        self.next_address = [0x7F0000000000 + device * 0x10000000000 for device in range(2)]
        self.free_blocks = [{} for _ in range(2)]  # size -> [addresses]
        self.traces = [[] for _ in range(2)]
        self.enabled = None
        self.max_entries = 1
        self.initialized = False

    def _trace(self, device, action, address, size, frames=None):
        if self.enabled is None:
            return
        entry = {"action": action, "addr": address, "size": size, "stream": 0, "time_us": int(time.time() * 1e6)}
        if action == "alloc":
            entry["frames"] = frames or []
        trace = self.traces[device]
        trace.append(entry)
        if len(trace) > self.max_entries:
            del trace[: len(trace) - self.max_entries]

    def allocate(self, device, size, frames):
        with self.lock:
            reuse = self.free_blocks[device].get(size)
            if reuse:
                address = reuse.pop()
            else:
                address = self.next_address[device]
                self.next_address[device] += (size + 511) // 512 * 512
                self._trace(device, "segment_alloc", address, size)
            self._trace(device, "alloc", address, size, frames)
            return address

    def release(self, device, address, size):
        with self.lock:
            self._trace(device, "free_requested", address, size)
            self._trace(device, "free_completed", address, size)
            self.free_blocks[device].setdefault(size, []).append(address)


_allocator = _Allocator()


def _caller_frames():
    frames = []
    frame = sys._getframe(3)  # the caller of cuda.empty
    while frame is not None:
        code = frame.f_code
        frames.append({"filename": code.co_filename, "line": frame.f_lineno, "name": code.co_name})
        frame = frame.f_back
    return frames


class Tensor:
    def __init__(self, nbytes, device):
        self.nbytes = nbytes
        self.device = device
        self.address = _allocator.allocate(device, nbytes, _caller_frames())

    def __del__(self):
        _allocator.release(self.device, self.address, self.nbytes)


class _Memory:
    def __init__(self):
        self.history_calls = []

    def _record_memory_history(self, enabled="all", context="all", stacks="all", max_entries=sys.maxsize,
                               device=None, clear_history=False):
        self.history_calls.append(
            {"enabled": enabled, "context": context, "stacks": stacks, "max_entries": max_entries,
             "clear_history": clear_history}
        )
        with _allocator.lock:
            _allocator.enabled = enabled
            _allocator.max_entries = max_entries
            if enabled is None or clear_history:
                for trace in _allocator.traces:
                    trace.clear()

    def _snapshot(self, device=None):
        with _allocator.lock:
            return {"segments": [], "device_traces": [[dict(entry) for entry in trace] for trace in _allocator.traces]}


class _Cuda:
    def __init__(self):
        self.memory = _Memory()

    def is_available(self):
        return True

    def is_initialized(self):
        return _allocator.initialized

    def init(self):
        _allocator.initialized = True

    def empty(self, nbytes, device=0):
        return Tensor(nbytes, device)


cuda = _Cuda()
sys.modules["torch.cuda"] = cuda
sys.modules["torch.cuda.memory"] = cuda.memory
