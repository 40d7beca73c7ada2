#include "agent/python/type_census.h"

#include <time.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "agent/agent_memory.h"
#include "agent/agent_thread.h"
#include "agent/notes.h"
#include "agent/python/python_runtime.h"
#include "capture/wire.h"
#include "common/clock.h"

namespace leakspy::agent::python {

namespace {

constexpr uint64_t kIntervalNs = 1'000'000'000;
constexpr uint64_t kDefaultBudgetNs = 10'000'000;  // one census's GIL time, unless --types
constexpr uint64_t kAlwaysCostFactor = 10;         // --types: at most 10% of the time
constexpr uint64_t kStepNs = 10'000'000;            // how soon the thread sees a stop
constexpr uint64_t kStopTimeoutNs = 3'000'000'000;

// The census, in Python: "count name" lines, most numerous first, for the
// types with at least `least` objects (at most `most` of them). Types of one
// name (a class defined twice) count together.
constexpr char kCensusScript[] = R"(
import gc as _gc

def _leakspy_type_name(t):
    module = getattr(t, '__module__', None) or ''
    name = getattr(t, '__qualname__', None) or t.__name__
    name = str(name if module == 'builtins' or not isinstance(module, str) or not module else module + '.' + name)
    return ''.join(c if ' ' <= c != '\x7f' else '?' for c in name[:60]) or '?'

def _leakspy_census(most, least):
    by_type = {}
    for o in _gc.get_objects():
        t = type(o)
        by_type[t] = by_type.get(t, 0) + 1
    by_name = {}
    for t, n in by_type.items():
        name = _leakspy_type_name(t)
        by_name[name] = by_name.get(name, 0) + n
    rows = sorted([(n, name) for name, n in by_name.items() if n >= least], key=lambda row: -row[0])[:most]
    return '\n'.join('%d %s' % row for row in rows).encode('utf-8', 'replace')
)";
constexpr char kCensusCall[] = "_leakspy_census(512, 16)";

// The census thread fills the slot; the writer empties it.
enum SlotState : int { kEmpty = 0, kFilling = 1, kReady = 2 };
struct Slot {
  std::atomic<int> state{kEmpty};
  uint32_t length = 0;
  uint32_t census_us = 0;
  char text[wire::kMaxPythonTypesBytes];
};

constinit Slot* slot = nullptr;   // mapped once
constinit char* sending = nullptr;  // the writer's copy, referenced until its flush
constinit std::atomic<bool> always{false};
constinit bool thread_started = false;
constinit std::atomic<bool> stop_requested{false};
constinit std::atomic<bool> thread_done{true};
constinit void* script_globals = nullptr;  // census thread only, GIL held

void pause_ns(uint64_t ns) {
  timespec pause{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
  nanosleep(&pause, nullptr);
}

// Copies one census into the slot, unless the writer has not sent the last.
void deliver(const char* data, size_t size, uint64_t took_ns) {
  int expected = kEmpty;
  if (!slot->state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire)) return;
  size_t length = size < sizeof(slot->text) ? size : sizeof(slot->text);
  // A cut list ends at its last whole line.
  while (length < size && length > 0 && data[length] != '\n') --length;
  std::memcpy(slot->text, data, length);
  slot->length = static_cast<uint32_t>(length);
  slot->census_us = static_cast<uint32_t>(took_ns / 1000 > UINT32_MAX ? UINT32_MAX : took_ns / 1000);
  slot->state.store(kReady, std::memory_order_release);
}

// One census (takes the GIL); false when Python cannot run it.
bool take_census(uint64_t* took_ns) {
  const PythonRuntime& rt = runtime();
  if (!python_runnable(rt)) return false;
  uint64_t started = clock_ns();
  int gil = rt.gil_ensure();
  if (script_globals == nullptr) script_globals = load_python_script(rt, kCensusScript);
  bool ok = false;
  if (script_globals != nullptr) {
    void* result = rt.run_string(kCensusCall, kPythonEvalInput, script_globals, script_globals, nullptr);
    char* data = nullptr;
    ptrdiff_t size = 0;
    if (result != nullptr && rt.bytes_data(result, &data, &size) == 0 && size >= 0) {
      *took_ns = clock_ns() - started;
      deliver(data, static_cast<size_t>(size), *took_ns);
      ok = true;
    }
    if (result != nullptr) rt.dec_ref(result);
    if (!ok) rt.error_clear();
  }
  rt.gil_release(gil);
  return ok;
}

void census_thread() {
  uint64_t interval = kIntervalNs;
  while (!stop_requested.load(std::memory_order_acquire)) {
    for (uint64_t waited = 0; waited < interval && !stop_requested.load(std::memory_order_acquire);
         waited += kStepNs) {
      pause_ns(kStepNs);
    }
    if (stop_requested.load(std::memory_order_acquire)) break;
    uint64_t took = 0;
    if (!take_census(&took)) {
      post_note(capture::NoteSeverity::Info, "Python types are not counted: the census could not run");
      break;
    }
    bool forced = always.load(std::memory_order_relaxed);
    if (!forced && took > kDefaultBudgetNs) {
      char text[200];
      std::snprintf(text, sizeof(text),
                    "Python types are counted no more: a census held the GIL %.0f ms (over 1%% of the time); "
                    "--types keeps counting",
                    static_cast<double>(took) / 1e6);
      post_note(capture::NoteSeverity::Info, text);
      break;
    }
    interval = forced && took * kAlwaysCostFactor > kIntervalNs ? took * kAlwaysCostFactor : kIntervalNs;
  }
  thread_done.store(true, std::memory_order_release);
}

}  // namespace

void set_type_census_always(bool census_always) { always.store(census_always, std::memory_order_relaxed); }

void restart_type_census_after_fork() {
  if (!thread_started) return;  // none ran in the parent
  thread_started = false;
  thread_done.store(true, std::memory_order_relaxed);
  start_type_census();
}

void start_type_census() {
  // A census thread of an earlier session that has not finished is left to
  // finish: this session counts no types.
  if (thread_started || !thread_done.load(std::memory_order_acquire)) return;
  if (slot == nullptr) {
    slot = static_cast<Slot*>(map_pages(sizeof(Slot)));
    sending = static_cast<char*>(map_pages(sizeof(wire::WirePythonTypes) + wire::kMaxPythonTypesBytes));
    if (slot == nullptr || sending == nullptr) return;
  }
  slot->state.store(kEmpty, std::memory_order_relaxed);
  script_globals = nullptr;  // a new session's interpreter may be another (a fork's is the same, and keeps it)
  stop_requested.store(false, std::memory_order_relaxed);
  thread_done.store(false, std::memory_order_release);
  thread_started = start_agent_thread("leakspy-types", census_thread);
  if (!thread_started) thread_done.store(true, std::memory_order_release);
}

bool report_type_census(Transport& transport) {
  if (slot == nullptr || slot->state.load(std::memory_order_acquire) != kReady) return true;
  wire::WirePythonTypes header{slot->length, slot->census_us};
  std::memcpy(sending, &header, sizeof(header));
  std::memcpy(sending + sizeof(header), slot->text, slot->length);
  slot->state.store(kEmpty, std::memory_order_release);
  iovec part{sending, sizeof(header) + header.length};
  return transport.add(wire::MessageType::PythonTypes, &part, 1);
}

void stop_type_census(bool process_exit) {
  if (!thread_started) return;
  thread_started = false;
  stop_requested.store(true, std::memory_order_release);
  if (process_exit) return;
  for (uint64_t waited = 0; !thread_done.load(std::memory_order_acquire) && waited < kStopTimeoutNs;
       waited += 1'000'000) {
    pause_ns(1'000'000);
  }
}

}  // namespace leakspy::agent::python
