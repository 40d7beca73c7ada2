#include "agent/python/python_worker.h"

#include <atomic>
#include <cstdio>
#include <cstring>

#include "agent/agent_memory.h"
#include "agent/agent_thread.h"
#include "agent/notes.h"
#include "agent/python/python_runtime.h"
#include "agent/python/worker_scripts.h"
#include "common/clock.h"

namespace leakspy::agent::python {

namespace {

constexpr uint64_t kCensusIntervalNs = 1'000'000'000;
constexpr uint64_t kCensusBudgetNs = 10'000'000;  // one census's GIL time, unless --types
constexpr uint64_t kAlwaysCostFactor = 10;        // --types: at most 10% of the time
constexpr uint64_t kStepNs = 5'000'000;           // how soon the thread sees work or a stop
constexpr uint64_t kStopTimeoutNs = 3'000'000'000;
constexpr char kCensusCall[] = "_leakspy_census(512, 16)";
constexpr double kKeptBySeconds = 2.0;
// PyListObject's ob_item, after PyObject_VAR_HEAD (refcount, type, size) in
// the 64-bit builds of 3.9 to 3.13.
constexpr uint64_t kListItemsOffset = 24;

// A text the worker fills and the writer sends: Empty -> Filling -> Ready -> Empty.
enum SlotState : int { kEmpty = 0, kFilling = 1, kReady = 2 };
template <uint32_t kBytes>
struct TextSlot {
  std::atomic<int> state{kEmpty};
  uint32_t length = 0;
  uint32_t took_us = 0;
  char text[kBytes];
};

struct Query {
  std::atomic<bool> pending{false};  // set by the writer, cleared by the worker when answered
  uint32_t count = 0;
  wire::WireKeptBySample samples[wire::kMaxKeptBySamples];
};

struct WorkerMemory {
  TextSlot<wire::kMaxPythonTypesBytes> census;
  TextSlot<wire::kMaxKeptByBytes> kept_by;
  Query query;
  char call[64 * wire::kMaxKeptBySamples + 64];  // the kept-by call's text
  char sending[16 + wire::kMaxKeptByBytes + wire::kMaxPythonTypesBytes];  // the writer's copies, until its flush
};

constinit WorkerMemory* memory = nullptr;  // mapped once
constinit std::atomic<bool> always{false};
constinit bool thread_started = false;
constinit std::atomic<bool> stop_requested{false};
constinit std::atomic<bool> thread_done{true};
// Worker thread only, GIL held.
constinit void* census_globals = nullptr;
constinit void* kept_by_globals = nullptr;

// Starts filling `slot`; false while the writer has not sent what it holds.
template <uint32_t kBytes>
bool begin_fill(TextSlot<kBytes>& slot) {
  int expected = kEmpty;
  return slot.state.compare_exchange_strong(expected, kFilling, std::memory_order_acquire);
}

template <uint32_t kBytes>
void end_fill(TextSlot<kBytes>& slot, uint32_t length, uint64_t took_ns) {
  slot.length = length;
  slot.took_us = static_cast<uint32_t>(took_ns / 1000 > UINT32_MAX ? UINT32_MAX : took_ns / 1000);
  slot.state.store(kReady, std::memory_order_release);
}

// The longest prefix of `data` that fits `capacity` and ends at a whole line.
size_t whole_lines(const char* data, size_t size, size_t capacity) {
  if (size <= capacity) return size;
  size_t length = capacity;
  while (length > 0 && data[length] != '\n') --length;
  return length;
}

// Runs `call` in `*globals` (loading `script` first), GIL held; the bytes
// it returns are given to `use`. False when Python failed.
template <typename Use>
bool run_call(const PythonRuntime& rt, void** globals, const char* script, const char* call, Use&& use) {
  if (*globals == nullptr) *globals = load_python_script(rt, script);
  if (*globals == nullptr) return false;
  void* result = rt.run_string(call, kPythonEvalInput, *globals, *globals, nullptr);
  char* data = nullptr;
  ptrdiff_t size = 0;
  bool ok = result != nullptr && rt.bytes_data(result, &data, &size) == 0 && size >= 0;
  if (ok) use(data, static_cast<size_t>(size));
  if (result != nullptr) rt.dec_ref(result);
  if (!ok) rt.error_clear();
  return ok;
}

// One census (takes the GIL); false when Python cannot run it.
bool take_census(uint64_t* took_ns) {
  const PythonRuntime& rt = runtime();
  if (!python_runnable(rt)) return false;
  uint64_t started = clock_ns();
  int gil = rt.gil_ensure();
  bool ok = run_call(rt, &census_globals, kCensusScript, kCensusCall, [&](const char* data, size_t size) {
    *took_ns = clock_ns() - started;
    TextSlot<wire::kMaxPythonTypesBytes>& slot = memory->census;
    if (!begin_fill(slot)) return;  // the last is not sent yet: this one is dropped
    size_t length = whole_lines(data, size, sizeof(slot.text));
    std::memcpy(slot.text, data, length);
    end_fill(slot, static_cast<uint32_t>(length), *took_ns);
  });
  rt.gil_release(gil);
  return ok;
}

// Parses a hex number up to a tab; advances `*text` past it.
uint64_t hex_field(const char** text, const char* end) {
  uint64_t value = 0;
  for (; *text < end && **text != '\t'; ++*text) {
    char c = **text;
    value = value * 16 + static_cast<uint64_t>(c >= 'a' ? c - 'a' + 10 : c - '0');
  }
  if (*text < end) ++*text;
  return value;
}

// The script's lines ("tag, holder, is-list, chain") as the wire's ("tag,
// holder, items, chain"): a list's item array is read here, GIL held, while
// the list is alive.
uint32_t translate_kept_by(const char* data, size_t size, char* out, size_t capacity) {
  size_t used = 0;
  const char* end = data + size;
  for (const char* line = data; line < end;) {
    const char* line_end = static_cast<const char*>(std::memchr(line, '\n', static_cast<size_t>(end - line)));
    if (line_end == nullptr) line_end = end;
    const char* field = line;
    const char* tag_end = static_cast<const char*>(std::memchr(field, '\t', static_cast<size_t>(line_end - field)));
    if (tag_end != nullptr) {
      size_t tag_length = static_cast<size_t>(tag_end - field);
      field = tag_end + 1;
      uint64_t holder = hex_field(&field, line_end);
      bool is_list = field < line_end && *field == '1';
      field += field + 2 <= line_end ? 2 : 0;
      uint64_t items = is_list && holder != 0 ? *reinterpret_cast<const uint64_t*>(holder + kListItemsOffset) : 0;
      char numbers[48];
      int written = std::snprintf(numbers, sizeof(numbers), "\t%lx\t%lx\t", static_cast<unsigned long>(holder),
                                  static_cast<unsigned long>(items));
      size_t chain = static_cast<size_t>(line_end - field);
      size_t need = (used > 0 ? 1 : 0) + tag_length + static_cast<size_t>(written) + chain;
      if (written > 0 && used + need <= capacity) {
        if (used > 0) out[used++] = '\n';
        std::memcpy(out + used, line, tag_length);
        used += tag_length;
        std::memcpy(out + used, numbers, static_cast<size_t>(written));
        used += static_cast<size_t>(written);
        std::memcpy(out + used, field, chain);
        used += chain;
      }
    }
    line = line_end + 1;
  }
  return static_cast<uint32_t>(used);
}

// Answers the pending query (takes the GIL). An answer is always given,
// empty when Python could not run it.
void answer_kept_by() {
  Query& query = memory->query;
  TextSlot<wire::kMaxKeptByBytes>& slot = memory->kept_by;
  while (!begin_fill(slot)) {  // the last answer is being sent
    if (stop_requested.load(std::memory_order_acquire)) return;
    pause_ns(kStepNs);
  }
  uint32_t length = 0;
  uint64_t started = clock_ns();
  const PythonRuntime& rt = runtime();
  // The call: _leakspy_kept_by(((tag,address,size),...),seconds)
  size_t at = static_cast<size_t>(std::snprintf(memory->call, sizeof(memory->call), "_leakspy_kept_by(("));
  for (uint32_t i = 0; i < query.count; ++i) {
    const wire::WireKeptBySample& sample = query.samples[i];
    at += static_cast<size_t>(std::snprintf(memory->call + at, sizeof(memory->call) - at, "(%u,%lu,%lu),", sample.tag,
                                            static_cast<unsigned long>(sample.address),
                                            static_cast<unsigned long>(sample.size)));
  }
  std::snprintf(memory->call + at, sizeof(memory->call) - at, "),%.1f)", kKeptBySeconds);
  if (python_runnable(rt)) {
    int gil = rt.gil_ensure();
    run_call(rt, &kept_by_globals, kKeptByScript, memory->call, [&](const char* data, size_t size) {
      length = translate_kept_by(data, size, slot.text, sizeof(slot.text));
    });
    rt.gil_release(gil);
  }
  end_fill(slot, length, clock_ns() - started);
  query.pending.store(false, std::memory_order_release);
}

void worker_thread() {
  bool counting = true;
  uint64_t next_census = clock_ns() + kCensusIntervalNs;
  while (!stop_requested.load(std::memory_order_acquire)) {
    pause_ns(kStepNs);
    if (stop_requested.load(std::memory_order_acquire)) break;
    if (memory->query.pending.load(std::memory_order_acquire)) answer_kept_by();
    if (!counting || clock_ns() < next_census) continue;
    uint64_t took = 0;
    if (!take_census(&took)) {
      post_note(capture::NoteSeverity::Info, "Python types are not counted: the census could not run");
      counting = false;
      continue;
    }
    bool forced = always.load(std::memory_order_relaxed);
    if (!forced && took > kCensusBudgetNs) {
      char text[200];
      std::snprintf(text, sizeof(text),
                    "Python types are counted no more: a census held the GIL %.0f ms (over 1%% of the time); "
                    "--types keeps counting",
                    static_cast<double>(took) / 1e6);
      post_note(capture::NoteSeverity::Info, text);
      counting = false;
      continue;
    }
    next_census = clock_ns() + (forced && took * kAlwaysCostFactor > kCensusIntervalNs ? took * kAlwaysCostFactor
                                                                                       : kCensusIntervalNs);
  }
  thread_done.store(true, std::memory_order_release);
}

template <uint32_t kBytes>
bool send_slot(Transport& transport, wire::MessageType type, TextSlot<kBytes>& slot, char* sending, uint32_t second) {
  if (slot.state.load(std::memory_order_acquire) != kReady) return true;
  uint32_t header[2] = {slot.length, second};
  std::memcpy(sending, header, sizeof(header));
  std::memcpy(sending + sizeof(header), slot.text, slot.length);
  uint32_t length = slot.length;
  slot.state.store(kEmpty, std::memory_order_release);
  iovec part{sending, sizeof(header) + length};
  return transport.add(type, &part, 1);
}

}  // namespace

void set_type_census_always(bool census_always) { always.store(census_always, std::memory_order_relaxed); }

void start_python_worker() {
  // A worker of an earlier session that has not finished is left to finish:
  // this session has none.
  if (thread_started || !thread_done.load(std::memory_order_acquire)) return;
  if (memory == nullptr) {
    memory = static_cast<WorkerMemory*>(map_pages(sizeof(WorkerMemory)));
    if (memory == nullptr) return;
  }
  memory->census.state.store(kEmpty, std::memory_order_relaxed);
  memory->kept_by.state.store(kEmpty, std::memory_order_relaxed);
  memory->query.pending.store(false, std::memory_order_relaxed);
  census_globals = nullptr;  // a new session's interpreter may be another one
  kept_by_globals = nullptr;
  stop_requested.store(false, std::memory_order_relaxed);
  thread_done.store(false, std::memory_order_release);
  thread_started = start_agent_thread("leakspy-python", worker_thread);
  if (!thread_started) thread_done.store(true, std::memory_order_release);
}

void restart_python_worker_after_fork() {
  if (!thread_started) return;  // none ran in the parent
  thread_started = false;
  thread_done.store(true, std::memory_order_relaxed);
  start_python_worker();
}

bool report_type_census(Transport& transport) {
  if (memory == nullptr) return true;
  static_assert(sizeof(wire::WirePythonTypes) == 2 * sizeof(uint32_t));
  return send_slot(transport, wire::MessageType::PythonTypes, memory->census,
                   memory->sending + 8 + wire::kMaxKeptByBytes, memory->census.took_us);
}

bool ask_kept_by(const wire::WireKeptBySample* samples, uint32_t count) {
  if (!thread_started || memory == nullptr || memory->query.pending.load(std::memory_order_acquire)) return false;
  Query& query = memory->query;
  query.count = count < wire::kMaxKeptBySamples ? count : wire::kMaxKeptBySamples;
  std::memcpy(query.samples, samples, query.count * sizeof(wire::WireKeptBySample));
  query.pending.store(true, std::memory_order_release);
  return true;
}

bool report_kept_by(Transport& transport) {
  if (memory == nullptr) return true;
  static_assert(sizeof(wire::WireKeptBy) == 2 * sizeof(uint32_t));
  return send_slot(transport, wire::MessageType::KeptBy, memory->kept_by, memory->sending, 0);
}

void stop_python_worker(bool process_exit) {
  if (!thread_started) return;
  thread_started = false;
  stop_requested.store(true, std::memory_order_release);
  if (process_exit) return;
  wait_for_flag(thread_done, kStopTimeoutNs);
}

}  // namespace leakspy::agent::python
