#include "agent/python/torch_memory_history.h"

#include <atomic>
#include <cstdio>

#include "agent/agent_memory.h"
#include "agent/agent_state.h"
#include "agent/agent_thread.h"
#include "agent/event_recorder.h"
#include "agent/heap_registry.h"
#include "agent/loaded_modules.h"
#include "agent/notes.h"
#include "agent/python/code_table.h"
#include "agent/python/python_runtime.h"
#include "agent/python/python_stack.h"
#include "agent/python/torch_batch.h"
#include "agent/python/torch_history_script.h"
#include "agent/thread_state.h"

namespace leakspy::agent::python {

namespace {

constexpr const char* kTorchCudaLibrary = "libc10_cuda.so";
constexpr uint64_t kReadIntervalNs = 1'000'000'000;  // between two reads of the history
constexpr uint64_t kWaitIntervalNs = 100'000'000;    // between two looks for torch with CUDA
constexpr uint64_t kStepNs = 10'000'000;             // how soon the thread sees a stop
constexpr uint64_t kStopTimeoutNs = 3'000'000'000;
constexpr uint32_t kMaxDevices = 16;
constexpr uint32_t kMaxBatchCodes = 1u << 16;

// Writer thread only.
constinit uint64_t seen_modules = ~0ull;
constinit bool thread_started = false;

// Between the writer and the reading thread.
constinit std::atomic<bool> stop_requested{false};
constinit std::atomic<bool> final_read{false};
constinit std::atomic<bool> thread_done{true};

// Used with the GIL held only: by the reading thread, or by the atexit
// delivery on the program's thread (deliver_at_exit).
constinit void* script_globals = nullptr;  // the script's namespace (a dict), for the session
constinit uint32_t* code_ids = nullptr;    // the script's code ids -> CodeTable ids
constinit uint8_t heap_ids[kMaxDevices] = {};

uint8_t tensor_heap(uint32_t device) {
  if (device >= kMaxDevices) return kNoHeap;
  if (heap_ids[device] == 0) {
    char name[24];
    std::snprintf(name, sizeof(name), "cuda:%u/torch", device);
    uint8_t id = declare_heap(name, 0);
    if (id == kNoHeap) return kNoHeap;
    heap_ids[device] = id;
  }
  return heap_ids[device];
}

// Turns one batch into events on the reading thread's ring.
class EventWriter final : public TorchBatchVisitor {
 public:
  explicit EventWriter(ThreadRing* ring) : ring_(ring) {}

  void on_code(uint32_t id, std::string_view filename, std::string_view name) override {
    if (id < kMaxBatchCodes) code_ids[id] = code_table.intern_named(filename, name);
  }

  void on_entry(const TorchEntry& entry) override {
    uint8_t heap = tensor_heap(entry.device);
    if (heap == kNoHeap) return;
    if (entry.action == TorchAction::Alloc) {
      record_event(ring_, capture::EventKind::Alloc, heap, entry.address, entry.size, stack_of(entry));
    } else {
      record_event(ring_, capture::EventKind::Free, heap, entry.address, 0, 0);
    }
  }

 private:
  // PyTorch's frames (innermost first) as a path from the root.
  static uint32_t stack_of(const TorchEntry& entry) {
    uint32_t node = 0;
    for (uint32_t i = entry.frame_count; i-- > 0;) {
      TorchFrame frame = torch_frame(entry, i);
      uint32_t code = frame.code < kMaxBatchCodes ? code_ids[frame.code] : 0;
      if (code == 0) continue;
      node = traces.intern_edge(node, python_frame_value(code, frame.line));
      if (node == 0) {
        traces.count_lost_stack();
        return 0;
      }
    }
    return node;
  }

  ThreadRing* ring_;
};

void post_batch_note(const TorchBatchHeader& header) {
  if (header.note.empty()) return;
  char text[400];
  std::snprintf(text, sizeof(text), "%.*s", static_cast<int>(header.note.size()), header.note.data());
  bool warning = header.lost > 0 || header.status == TorchHistoryStatus::Off;
  post_note(warning ? capture::NoteSeverity::Warning : capture::NoteSeverity::Info, text);
}

// Records the batch in `result` (a bytes object; GIL held) on the calling
// thread's ring. The status of the history, Off when it is no batch.
TorchHistoryStatus record_batch(const PythonRuntime& rt, void* result) {
  char* data = nullptr;
  ptrdiff_t size = 0;
  if (rt.bytes_data(result, &data, &size) != 0 || size < 0) {
    rt.error_clear();
    return TorchHistoryStatus::Off;
  }
  ThreadState& state = this_thread();
  ReentrancyGuard guard(state);  // on a thread of the program at its exit
  ThreadRing* ring = thread_ring(state);
  if (ring == nullptr) return TorchHistoryStatus::Off;
  EventWriter writer(ring);
  TorchBatchHeader header;
  if (!read_torch_batch(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size), &header, writer)) {
    return TorchHistoryStatus::Off;
  }
  post_batch_note(header);
  return header.status;
}

// Runs `expression` (GIL held) and records the batch it returns.
TorchHistoryStatus read_batch(const PythonRuntime& rt, const char* expression) {
  void* result = rt.run_string(expression, kPythonEvalInput, script_globals, script_globals, nullptr);
  if (result == nullptr) {
    rt.error_clear();
    post_note(capture::NoteSeverity::Warning, "CUDA tensors are not recorded: leakspy's PyTorch reader failed");
    return TorchHistoryStatus::Off;
  }
  TorchHistoryStatus status = record_batch(rt, result);
  rt.dec_ref(result);
  return status;
}

// _leakspy_deliver(batch): the reader's last batch at the program's exit
// (an atexit handler, on the thread running it, GIL held): the reading
// thread cannot take the GIL any more by then.
void* deliver_at_exit(void*, void* batch) {
  const PythonRuntime& rt = runtime();
  if (tracking.load(std::memory_order_acquire)) record_batch(rt, batch);
  return rt.long_from_long(0);
}

constinit PythonMethodDef deliver_method{"_leakspy_deliver", deliver_at_exit, kPythonMethodOneArgument, nullptr};

// The script's namespace with _leakspy_deliver in it; false when the
// script did not load (GIL held).
bool load_script(const PythonRuntime& rt) {
  script_globals = load_python_script(rt, kTorchHistoryScript, &deliver_method);
  return script_globals != nullptr;
}

// One read (or the last one, which also restores PyTorch's setting).
TorchHistoryStatus read_history(bool last) {
  const PythonRuntime& rt = runtime();
  if (!python_runnable(rt)) return last ? TorchHistoryStatus::Off : TorchHistoryStatus::Waiting;
  int gil = rt.gil_ensure();
  TorchHistoryStatus status = TorchHistoryStatus::Off;
  if (script_globals == nullptr && !load_script(rt)) {
    post_note(capture::NoteSeverity::Warning, "CUDA tensors are not recorded: leakspy's PyTorch reader did not load");
  }
  if (script_globals != nullptr) {
    status = read_batch(rt, last ? "_leakspy_stop()" : "_leakspy_poll()");
    if (last) {
      rt.dec_ref(script_globals);
      script_globals = nullptr;
    }
  }
  rt.gil_release(gil);
  return status;
}

void reading_thread() {
  TorchHistoryStatus status = read_history(false);
  while (!stop_requested.load(std::memory_order_acquire)) {
    // While the program has not initialized CUDA yet, look often: its first
    // tensors follow right after.
    uint64_t interval = status == TorchHistoryStatus::Waiting ? kWaitIntervalNs : kReadIntervalNs;
    for (uint64_t waited = 0; waited < interval && !stop_requested.load(std::memory_order_acquire);
         waited += kStepNs) {
      pause_ns(kStepNs);
    }
    if (stop_requested.load(std::memory_order_acquire) || status == TorchHistoryStatus::Off) continue;
    status = read_history(false);
  }
  // Also after a failure: the history may have been turned on before it.
  if (final_read.load(std::memory_order_acquire) && script_globals != nullptr) read_history(true);
  thread_done.store(true, std::memory_order_release);
}

}  // namespace

void start_torch_history() {
  seen_modules = ~0ull;
  thread_started = false;
}

void poll_torch_history(uint64_t modules_loaded) {
  if (thread_started || modules_loaded == seen_modules) return;
  char path[256];
  if (!mapped_module_path(kTorchCudaLibrary, path, sizeof(path))) {
    seen_modules = modules_loaded;
    return;
  }
  // A reading thread of an earlier session that has not finished yet is
  // left to finish; this one starts at a later cycle.
  if (!thread_done.load(std::memory_order_acquire)) return;
  if (code_ids == nullptr) {
    code_ids = static_cast<uint32_t*>(map_pages(sizeof(uint32_t) * kMaxBatchCodes));
    if (code_ids == nullptr) return;
  }
  stop_requested.store(false, std::memory_order_relaxed);
  final_read.store(false, std::memory_order_relaxed);
  thread_done.store(false, std::memory_order_release);
  thread_started = start_agent_thread("leakspy-torch", reading_thread);
  if (!thread_started) thread_done.store(true, std::memory_order_release);
}

void stop_torch_history(bool process_exit) {
  if (!thread_started) return;
  thread_started = false;
  final_read.store(!process_exit, std::memory_order_relaxed);
  stop_requested.store(true, std::memory_order_release);
  if (process_exit) return;
  wait_for_flag(thread_done, kStopTimeoutNs);
}

}  // namespace leakspy::agent::python
