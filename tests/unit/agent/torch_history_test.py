"""Unit tests of agent/python/torch_history.py, the reader of PyTorch's
memory history that the agent runs inside the target.

The script is loaded as the agent loads it (its text, run in a namespace of
its own). PyTorch is replaced by a small double whose _snapshot() returns
trace entries shaped as PyTorch 2.x writes them (the _snapshot docstring of
torch/cuda/memory.py: action, addr, size, stream, time_us, frames innermost
first) and, for the 2.0 case, without times and with boolean arguments.
Batches are decoded here by the layout in the script's header comment; the
agent's own reader of that layout is tested in torch_batch_test.cpp.

Run: python3 torch_history_test.py PATH/TO/torch_history.py
"""
import struct
import sys
import types
import unittest

SCRIPT_PATH = None


def load_reader():
    namespace = {}
    with open(SCRIPT_PATH, encoding="utf-8") as script:
        exec(compile(script.read(), SCRIPT_PATH, "exec"), namespace)
    return namespace


def decode(batch):
    assert batch[:4] == b"LSTB", batch[:4]
    status, _, _, lost = struct.unpack_from("<BBHI", batch, 4)
    offset = 12
    (note_length,) = struct.unpack_from("<I", batch, offset)
    offset += 4
    note = batch[offset : offset + note_length].decode()
    offset += note_length
    (code_count,) = struct.unpack_from("<I", batch, offset)
    offset += 4
    codes = {}
    for _ in range(code_count):
        code, file_length, name_length = struct.unpack_from("<IHH", batch, offset)
        offset += 8
        filename = batch[offset : offset + file_length].decode()
        offset += file_length
        name = batch[offset : offset + name_length].decode()
        offset += name_length
        codes[code] = (filename, name)
    (entry_count,) = struct.unpack_from("<I", batch, offset)
    offset += 4
    entries = []
    for _ in range(entry_count):
        action, _, device, frame_count, _, address, size = struct.unpack_from("<BBHHHQQ", batch, offset)
        offset += 24
        frames = []
        for _ in range(frame_count):
            frames.append(struct.unpack_from("<II", batch, offset))
            offset += 8
        entries.append({"action": action, "device": device, "address": address, "size": size, "frames": frames})
    assert offset == len(batch), (offset, len(batch))
    return {"status": status, "lost": lost, "note": note, "codes": codes, "entries": entries}


class FakeMemory:
    """torch.cuda.memory of PyTorch 2.1+ (or 2.0 with legacy=True)."""

    def __init__(self, legacy=False, can_clear=True):
        self.legacy = legacy
        self.can_clear = can_clear
        self.calls = []
        self.traces = [[], []]
        self.fail = False

    def _record_memory_history(self, *args, **kwargs):
        if self.legacy and (args == () or "enabled" in kwargs):
            raise TypeError("_record_memory_history() got an unexpected keyword argument 'enabled'")
        if not self.can_clear and "clear_history" in kwargs:
            raise TypeError("_record_memory_history_impl() got an unexpected keyword argument 'clear_history'")
        self.calls.append((args, kwargs))
        if kwargs.get("clear_history") or kwargs.get("enabled", "all") is None or args == (False,):
            for trace in self.traces:
                trace.clear()

    def _snapshot(self):
        if self.fail:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return {"segments": [], "device_traces": [list(trace) for trace in self.traces]}


class FakeTorch(types.ModuleType):
    def __init__(self, memory, initialized=True, history_probe=None):
        super().__init__("torch")
        self.__version__ = "2.4.1"
        self.cuda = types.SimpleNamespace(memory=memory, is_initialized=lambda: initialized)
        self._C = types.SimpleNamespace()
        if history_probe is not None:
            self._C._cuda_isHistoryEnabled = history_probe


def frame(filename, line, name):
    return {"filename": filename, "line": line, "name": name}


SERVE = [frame("/srv/model.py", 41, "forward"), frame("/srv/app.py", 12, "handle"), frame("/srv/app.py", 30, "main")]


def alloc(address, size, time_us, frames=SERVE):
    return {"action": "alloc", "addr": address, "size": size, "stream": 0, "time_us": time_us, "frames": frames}


def entry(action, address, size, time_us):
    return {"action": action, "addr": address, "size": size, "stream": 0, "time_us": time_us, "frames": []}


class TorchHistoryTest(unittest.TestCase):
    def setUp(self):
        self.saved = sys.modules.get("torch")
        sys.modules.pop("torch", None)
        self.reader = load_reader()

    def tearDown(self):
        sys.modules.pop("torch", None)
        if self.saved is not None:
            sys.modules["torch"] = self.saved

    def install(self, memory, **kwargs):
        sys.modules["torch"] = FakeTorch(memory, **kwargs)

    def poll(self):
        return decode(self.reader["_leakspy_poll"]())

    def stop(self):
        return decode(self.reader["_leakspy_stop"]())

    def test_waits_for_torch_and_never_imports_it(self):
        batch = self.poll()
        self.assertEqual(batch["status"], 0)
        self.assertEqual(batch["entries"], [])
        self.assertNotIn("torch", sys.modules)

    def test_waits_until_the_program_initialized_cuda(self):
        memory = FakeMemory()
        self.install(memory, initialized=False)
        self.assertEqual(self.poll()["status"], 0)
        self.assertEqual(memory.calls, [])
        self.assertEqual(self.stop()["status"], 2)
        self.assertEqual(memory.calls, [], "a stop before the start turns nothing on")

    def test_entries_become_allocations_and_frees_with_their_stacks(self):
        memory = FakeMemory()
        self.install(memory)
        first = self.poll()
        self.assertEqual(first["status"], 1)
        self.assertIn("PyTorch 2.4.1: recording CUDA tensors", first["note"])
        self.assertEqual(memory.calls, [((), {"enabled": "all", "context": "alloc", "stacks": "python", "max_entries": 100000})])
        memory.traces[0] += [
            entry("segment_alloc", 0x7F00_0000_0000, 20 << 20, 100),
            alloc(0x7F00_0000_0000, 4 << 20, 101),
            alloc(0x7F00_0040_0000, 1 << 20, 102, [frame("??", 0, "??")] + SERVE[1:]),
            entry("free_requested", 0x7F00_0040_0000, 1 << 20, 103),
            entry("free_completed", 0x7F00_0040_0000, 1 << 20, 104),
        ]
        memory.traces[1] += [alloc(0x7E00_0000_0000, 512, 105)]
        batch = self.poll()
        self.assertEqual(batch["lost"], 0)
        self.assertEqual(
            [(e["action"], e["device"], e["address"], e["size"]) for e in batch["entries"]],
            [(1, 0, 0x7F00_0000_0000, 4 << 20), (1, 0, 0x7F00_0040_0000, 1 << 20), (2, 0, 0x7F00_0040_0000, 1 << 20),
             (1, 1, 0x7E00_0000_0000, 512)],
        )
        named = [[(batch["codes"][code], line) for code, line in e["frames"]] for e in batch["entries"]]
        self.assertEqual(named[0], [(("/srv/model.py", "forward"), 41), (("/srv/app.py", "handle"), 12), (("/srv/app.py", "main"), 30)])
        self.assertEqual(named[1], [(("/srv/app.py", "handle"), 12), (("/srv/app.py", "main"), 30)], "?? frames are dropped")
        self.assertEqual(batch["entries"][2]["frames"], [])
        self.assertEqual(len(batch["codes"]), 3, "each (file, function) once")
        # Nothing new: nothing handed on twice, no code sent again.
        memory.traces[0].append(alloc(0x7F00_0080_0000, 4 << 20, 110))
        again = self.poll()
        self.assertEqual([e["address"] for e in again["entries"]], [0x7F00_0080_0000])
        self.assertEqual(again["codes"], {})

    def test_entries_with_the_same_time_on_both_sides_of_a_read_are_handed_on_once(self):
        memory = FakeMemory()
        self.install(memory)
        self.poll()
        memory.traces[0] += [alloc(0x1000, 512, 200), alloc(0x2000, 512, 200)]
        self.assertEqual(len(self.poll()["entries"]), 2)
        memory.traces[0] += [alloc(0x3000, 512, 200), alloc(0x4000, 512, 201)]
        self.assertEqual([e["address"] for e in self.poll()["entries"]], [0x3000, 0x4000])
        self.assertEqual(self.poll()["entries"], [])

    def test_a_half_full_trace_is_cleared_after_it_was_read(self):
        memory = FakeMemory()
        self.install(memory)
        self.poll()
        memory.traces[0] += [alloc(0x10000 + i * 512, 512, 1000 + i) for i in range(50000)]
        self.assertEqual(len(self.poll()["entries"]), 50000)
        self.assertEqual(memory.calls[-1][1].get("clear_history"), True)
        self.assertEqual(memory.traces[0], [])
        memory.traces[0].append(alloc(0x9000000, 512, 99999))
        self.assertEqual([e["address"] for e in self.poll()["entries"]], [0x9000000])

    def test_a_pytorch_that_cannot_clear_is_read_whole_and_keeps_its_settings(self):
        memory = FakeMemory(can_clear=False)
        self.install(memory)
        self.poll()
        memory.traces[0] += [alloc(0x10000 + i * 512, 512, 1000 + i) for i in range(50000)]
        self.assertEqual(len(self.poll()["entries"]), 50000)
        self.assertEqual(len(memory.calls), 1, "only the first turning on: no fallback to 2.0's booleans")
        memory.traces[0].append(alloc(0x9000000, 512, 99999))
        self.assertEqual([e["address"] for e in self.poll()["entries"]], [0x9000000])
        self.assertEqual(len(memory.calls), 1, "a failed clear is not tried again")

    def test_a_trace_that_wrapped_between_reads_is_reported(self):
        memory = FakeMemory()
        self.install(memory)
        self.poll()
        memory.traces[0] = [alloc(0x1000, 512, 10)]
        self.poll()
        memory.traces[0] = [alloc(0x2000 + i, 512, 100 + i) for i in range(100000)]
        batch = self.poll()
        self.assertEqual(batch["lost"], 1)
        self.assertIn("wrapped", batch["note"])

    def test_stop_turns_off_what_it_turned_on(self):
        memory = FakeMemory()
        self.install(memory)
        self.poll()
        memory.traces[0].append(alloc(0x1000, 512, 10))
        last = self.stop()
        self.assertEqual([e["address"] for e in last["entries"]], [0x1000], "the last read")
        self.assertEqual(memory.calls[-1], ((), {"enabled": None}))

    def test_history_the_program_turned_on_is_read_from_now_on_and_left_on(self):
        memory = FakeMemory()
        memory.traces[0] = [alloc(0x1000, 512, 10)]  # before leakspy came
        self.install(memory, history_probe=lambda: True)
        first = self.poll()
        self.assertIn("already on", first["note"])
        self.assertEqual(first["entries"], [])
        memory.traces[0].append(alloc(0x2000, 512, 20))
        self.assertEqual([e["address"] for e in self.poll()["entries"]], [0x2000])
        self.stop()
        self.assertEqual(memory.calls, [], "neither turned on, cleared nor off")

    def test_without_a_probe_a_non_empty_trace_means_the_history_is_on(self):
        memory = FakeMemory()
        memory.traces[1] = [alloc(0x1000, 512, 10)]
        self.install(memory)
        self.assertIn("already on", self.poll()["note"])
        self.assertEqual(memory.calls, [])

    def test_pytorch_2_0_gets_booleans_and_positions(self):
        memory = FakeMemory(legacy=True)
        self.install(memory)
        self.poll()
        self.assertEqual(
            memory.calls,
            [((True,), {"record_context": True, "trace_alloc_max_entries": 100000, "trace_alloc_record_context": True})],
        )
        untimed = {"action": "alloc", "addr": 0x1000, "size": 512, "stream": 0, "frames": SERVE}
        memory.traces[0].append(untimed)
        self.assertEqual(len(self.poll()["entries"]), 1)
        memory.traces[0].append(dict(untimed, addr=0x2000))
        self.assertEqual([e["address"] for e in self.poll()["entries"]], [0x2000])
        self.stop()
        self.assertEqual(memory.calls[-1], ((False,), {}))

    def test_a_failure_turns_the_reader_off_and_stop_still_restores(self):
        memory = FakeMemory()
        self.install(memory)
        self.poll()
        memory.fail = True
        batch = self.poll()
        self.assertEqual(batch["status"], 2)
        self.assertIn("illegal memory access", batch["note"])
        self.assertEqual(self.poll()["status"], 2)
        self.stop()
        self.assertEqual(memory.calls[-1], ((), {"enabled": None}))

    def test_pytorch_without_memory_history_is_left_alone(self):
        sys.modules["torch"] = types.SimpleNamespace(
            __version__="1.12.1", cuda=types.SimpleNamespace(is_initialized=lambda: True, memory=types.SimpleNamespace())
        )
        batch = self.poll()
        self.assertEqual(batch["status"], 2)
        self.assertIn("PyTorch 1.12.1 has no memory history", batch["note"])


if __name__ == "__main__":
    SCRIPT_PATH = sys.argv.pop(1)
    unittest.main()
