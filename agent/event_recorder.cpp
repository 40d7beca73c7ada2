#include "agent/event_recorder.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "agent/agent_memory.h"
#include "agent/doorbell.h"
#include "agent/exit_mark.h"
#include "agent/python/merged_stack.h"
#include "agent/python/python_runtime.h"
#include "agent/got_patcher.h"
#include "agent/hook_list.h"
#include "agent/stack_capture.h"


namespace leakspy::agent {

namespace {

constinit pthread_key_t ring_key = 0;

// Runs at thread exit. The ring stays attached to the thread: destructors of
// other keys and glibc's own teardown may still free memory on this thread.
void mark_ring_exiting(void* value) {
  auto* ring = static_cast<ThreadRing*>(value);
  RingState expected = RingState::Active;
  ring->state.compare_exchange_strong(expected, RingState::Exiting, std::memory_order_release);
}

}  // namespace

bool init_thread_exit_tracking() {
  static bool created = false;
  if (created) return true;
  created = pthread_key_create(&ring_key, mark_ring_exiting) == 0;
  return created;
}

ThreadRing* claim_thread_ring(ThreadState& state) {
  ThreadRing* ring =
      rings.claim(static_cast<uint32_t>(syscall(SYS_gettid)), current_epoch.load(std::memory_order_relaxed));
  if (ring == nullptr) return nullptr;
  state.ring = ring;
  pthread_setspecific(ring_key, ring);  // may calloc: we are inside the guard
  return ring;
}

namespace {

// The thread's merge cache, mapped on first use; nullptr when out of memory.
python::MergeCache* merge_cache(ThreadRing* ring) {
  if (ring->merge == nullptr) ring->merge = static_cast<python::MergeCache*>(map_pages(sizeof(python::MergeCache)));
  return ring->merge;
}

// A thread running Python: native frames (not interned), its Python frames,
// merged and interned together. Returns false when the thread runs no Python.
bool capture_python_stack(ThreadRing* ring, const CallerFrame& caller, bool python_allocator, uint32_t* node) {
  if (merge_cache(ring) == nullptr) return false;
  python::MergeCache& merge = *ring->merge;
  if (!python::walk_python_frames(&merge.python)) return false;
  uint32_t count = 0;
  // Unless every native frame is wanted, the walk ends at the eval loop.
  const python::PythonRuntime& rt = python::runtime();
  bool all_native = python::native_frames.load(std::memory_order_relaxed);
  // The interpreter allocating for itself (a list, a dict): every native
  // frame up to the eval loop is its own and would be dropped: skip the walk.
  if (python_allocator && !all_native && caller.return_address - 1 >= rt.interpreter_begin &&
      caller.return_address - 1 < rt.interpreter_end) {
    *node = python::intern_python_only_walk(merge);
    return true;
  }
  uintptr_t stop_begin = all_native ? 0 : rt.eval_begin;
  uintptr_t stop_end = all_native ? 0 : rt.eval_end;
  if (ring->unwind != nullptr &&
      unwind_only(caller.return_address, caller.rsp, caller.rbp, *ring->unwind, stop_begin, stop_end)) {
    const UnwindCache& cache = *ring->unwind;
    for (uint32_t i = cache.depth; i-- > 0;) merge.native[count++] = cache.frames[i].pc;
  } else {
    count = capture_native_stack(merge.native, kMaxStackFrames);
  }
  *node = python::intern_walk(merge, count);
  return true;
}

}  // namespace

uint32_t capture_stack(ThreadRing* ring, const CallerFrame& caller, bool python_allocator) {
  uint32_t node = 0;
  if (ring != nullptr && python::frames_enabled.load(std::memory_order_relaxed) &&
      capture_python_stack(ring, caller, python_allocator, &node)) {
    return node;
  }
  if (ring != nullptr && ring->unwind != nullptr &&
      unwind_and_intern(caller.return_address, caller.rsp, caller.rbp, *ring->unwind, &node)) {
    return node;
  }
  uintptr_t frames[kMaxStackFrames];
  uint32_t count = capture_native_stack(frames, kMaxStackFrames);
  return traces.intern(frames, count);
}

uint32_t capture_stack_outside(ThreadRing* ring, const SkippedCode& skip) {
  uintptr_t frames[kMaxStackFrames];
  uint32_t count = capture_native_stack(frames, kMaxStackFrames);
  uint32_t first = 0;
  auto skipped = [&](uintptr_t pc) {
    for (uint32_t i = 0; i < skip.count; ++i) {
      if (pc >= skip.begin[i] && pc < skip.end[i]) return true;
    }
    return false;
  };
  while (first < count && skipped(frames[first] - 1)) ++first;
  python::MergeCache* merge = ring != nullptr && python::frames_enabled.load(std::memory_order_relaxed)
                                   ? merge_cache(ring)
                                   : nullptr;
  if (merge != nullptr && python::walk_python_frames(&merge->python)) {
    for (uint32_t i = first; i < count; ++i) merge->native[i - first] = frames[i];
    return python::intern_walk(*merge, count - first);
  }
  return traces.intern(frames + first, count - first);
}

namespace {

// Appends one ring entry, preceded by an epoch mark when the epoch moved on.
inline __attribute__((always_inline)) void append_entry(ThreadRing* ring, uint8_t kind, uint8_t heap,
                                                        uintptr_t address, uint64_t size, uint32_t stack) {
  if (!ring_reserve(ring, 2)) {
    ring->dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The in-flight window: from reading the epoch to publishing the event.
  // The signal fence only keeps the compiler from moving the epoch load above
  // the flag store; the CPU-level ordering comes from the writer's membarrier
  // (see Drainer::cycle). Read the epoch as late as possible: for a release
  // this is before the real free, for an allocation after the real malloc
  // returned (wire.h, "Ordering").
  ring->in_flight.store(1, std::memory_order_relaxed);
  std::atomic_signal_fence(std::memory_order_seq_cst);
  uint64_t epoch = current_epoch.load(std::memory_order_relaxed);
  // Written in place: building the entries on the stack and copying them
  // stalled on store forwarding.
  uint64_t write = ring->write_index.load(std::memory_order_relaxed);
  if (epoch != ring->last_epoch) {
    wire::RawEvent& mark = ring_entry(ring, write++);
    mark.address = epoch;
    mark.kind = wire::kEpochMark;
    ring->last_epoch = epoch;
  }
  wire::RawEvent& event = ring_entry(ring, write++);
  event.address = address;
  event.size = size;
  event.stack = stack;
  event.kind = kind;
  event.heap = heap;
  bool wake_writer = ring_publish(ring, write);
  ring->in_flight.store(0, std::memory_order_release);
  if (wake_writer) ring_doorbell();
}

}  // namespace

void record_event(ThreadRing* ring, capture::EventKind kind, uint8_t heap, uintptr_t address, uint64_t size,
                  uint32_t stack) {
  if (ring == nullptr) {
    ringless_drops.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // A teardown is its releases: the mark need only come before the first.
  if (capture::event_releases(kind)) check_exit_before_event(ring);
  append_entry(ring, static_cast<uint8_t>(kind), heap, address, size, stack);
}

void record_exit_mark(ThreadRing* ring, capture::ExitCause cause) {
  append_entry(ring, wire::kExitMark, 0, 0, static_cast<uint64_t>(cause), 0);
}

namespace {
constinit std::atomic<bool> install_incomplete{false};
constinit uint64_t last_retry_ns = 0;  // writer thread only
}  // namespace

void refresh_hooks_if_needed() {
  if (__atomic_load_n(&leakspy_modules_dirty, __ATOMIC_RELAXED) == 0) return;
  __atomic_store_n(&leakspy_modules_dirty, 0, __ATOMIC_RELAXED);
  if (install_got_hooks() == InstallResult::Incomplete) install_incomplete.store(true, std::memory_order_relaxed);
}

void retry_hooks_in_writer(uint64_t now_ns, uint64_t interval_ns) {
  refresh_hooks_if_needed();
  if (!install_incomplete.load(std::memory_order_relaxed) || now_ns < last_retry_ns + interval_ns) return;
  last_retry_ns = now_ns;
  install_incomplete.store(install_got_hooks() == InstallResult::Incomplete, std::memory_order_relaxed);
}

extern "C" {

// dlopen's search for a bare name (and $ORIGIN in a path) depends on the
// calling module; a path does not. See dlopen_trampoline.S.
int leakspy_dlopen_needs_its_caller(const char* file) {
  return file != nullptr && (std::strchr(file, '/') == nullptr || std::strchr(file, '$') != nullptr);
}

// dlopen from the agent itself, then patch what it loaded before returning:
// the new module's first allocation is already seen.
void* leakspy_dlopen_and_patch(const char* file, int mode) {
  void* handle = real.dlopen(file, mode);
  ThreadState& state = this_thread();
  if (handle != nullptr && tracking.load(std::memory_order_relaxed)) {
    ReentrancyGuard guard(state);
    if (install_got_hooks() == InstallResult::Incomplete) install_incomplete.store(true, std::memory_order_relaxed);
  }
  return handle;
}

}  // extern "C"

}  // namespace leakspy::agent
