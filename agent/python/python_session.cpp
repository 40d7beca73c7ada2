#include "agent/python/python_session.h"

#include <cstdio>
#include <cstring>

#include "agent/exit_mark.h"
#include "agent/heap_registry.h"
#include "agent/notes.h"
#include "agent/python/allocator_domains.h"
#include "agent/python/code_table.h"
#include "agent/python/python_runtime.h"
#include "agent/python/torch_memory_history.h"
#include "agent/python/python_worker.h"
#include "capture/wire.h"

namespace leakspy::agent::python {

namespace {

constinit PythonStatus status = PythonStatus::Absent;
constinit uint32_t reported_code = 1;  // writer thread only
constexpr uint64_t kUnwrapTimeoutNs = 2'000'000'000;

// "python 3.11: <what>"
void note(capture::NoteSeverity severity, int major, int minor, const char* what) {
  char text[200];
  std::snprintf(text, sizeof(text), "python %d.%d %s", major, minor, what);
  post_note(severity, text);
}

// Waiting: frames and the allocator wrappers once the interpreter is initialized.
void become_ready() {
  status = poll_python_ready();
  if (status != PythonStatus::Ready) return;
  if (exit_mark_armed.load(std::memory_order_acquire)) python_finalizing_probe.store(runtime().is_finalizing);
  uint8_t heap = declare_heap("python", 0);
  if (heap != kNoHeap) start_wrapping_allocators(heap);
  start_python_worker();
}

}  // namespace

void start_python_support() {
  status = resolve_python();
  const PythonRuntime& rt = runtime();
  if (status == PythonStatus::Unsupported) {
    note(capture::NoteSeverity::Warning, rt.major, rt.minor,
         "is not supported (3.9 to 3.13 are): recording native frames only");
    return;
  }
  if (status == PythonStatus::Absent || !code_table.init()) {
    status = PythonStatus::Absent;
    return;
  }
  note(capture::NoteSeverity::Info, rt.major, rt.minor, "found: recording Python frames and the Python allocators");
  start_torch_history();
  if (status == PythonStatus::Waiting) become_ready();
}

void poll_python_support(uint64_t modules_loaded) {
  if (status == PythonStatus::Ready) poll_torch_history(modules_loaded);
  if (status == PythonStatus::Waiting) become_ready();
}

void stop_python_support(bool process_exit) {
  frames_enabled.store(false, std::memory_order_release);
  python_finalizing_probe.store(nullptr, std::memory_order_relaxed);
  if (status == PythonStatus::Ready) stop_torch_history(process_exit);
  stop_python_worker(process_exit);
  if (!process_exit && status == PythonStatus::Ready) unwrap_allocators(kUnwrapTimeoutNs);
  status = PythonStatus::Absent;
}

bool report_python_code(Transport& transport) {
  uint32_t count = code_table.count();
  for (; reported_code < count; ++reported_code) {
    const CodeRecord* record = code_table.record(reported_code);
    if (record == nullptr) break;  // still being filled: next cycle
    uint8_t message[sizeof(wire::WirePythonCode) + sizeof(record->filename) + sizeof(record->name)];
    wire::WirePythonCode header{reported_code, record->first_line, record->filename_length, record->name_length, 0};
    std::memcpy(message, &header, sizeof(header));
    std::memcpy(message + sizeof(header), record->filename, record->filename_length);
    std::memcpy(message + sizeof(header) + record->filename_length, record->name, record->name_length);
    uint32_t length = sizeof(header) + record->filename_length + record->name_length;
    if (!transport.add_copy(wire::MessageType::PythonCode, message, length)) return false;
  }
  return true;
}

void forget_reported_python_code() { reported_code = 1; }

void settle_python_after_fork() {
  code_table.settle_after_fork();
  restart_python_worker_after_fork();
}

}  // namespace leakspy::agent::python
