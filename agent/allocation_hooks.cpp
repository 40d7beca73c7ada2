// The wrappers that patched GOT entries point at. Each one forwards to the real
// function and records what happened. Releases are recorded before the real
// call (another thread may get the address back the moment it is released);
// allocations after it. Stacks are captured before the real call: they are the
// same, and the allocation's epoch should be read as late as possible.
//
// Every wrapper takes its caller's frame (LEAKSPY_CALLER_FRAME) first thing,
// in its own body: the unwinder starts from there, so none of the agent's
// frames are walked.

#include <malloc.h>
#include <sys/mman.h>

#include "agent/event_recorder.h"
#include "agent/fast_unwinder.h"
#include "agent/got_patcher.h"
#include "agent/hook_list.h"
#include "agent/thread_state.h"

using leakspy::capture::EventKind;
using leakspy::capture::kHeapMalloc;
using leakspy::capture::kHeapMmap;
namespace agent = leakspy::agent;

namespace {

// The common shape of an allocating hook: capture the stack, allocate, record.
template <typename Allocate>
inline __attribute__((always_inline)) void* record_allocation(const agent::CallerFrame& caller, uint8_t heap,
                                                              size_t size, Allocate&& allocate) {
  agent::ThreadState& state = agent::this_thread();
  if (!agent::should_record(state)) return allocate();
  agent::ReentrancyGuard guard(state);
  agent::refresh_hooks_if_needed();
  agent::ThreadRing* ring = agent::thread_ring(state);
  uint32_t stack = agent::capture_stack(ring, caller);
  void* pointer = allocate();
  if (pointer != nullptr && pointer != MAP_FAILED) {
    agent::record_event(ring, EventKind::Alloc, heap, reinterpret_cast<uintptr_t>(pointer), size, stack);
  }
  return pointer;
}

inline __attribute__((always_inline)) void* record_reallocation(const agent::CallerFrame& caller, void* old_pointer,
                                                                size_t count, size_t size,
                                                                void* (*reallocate)(void*, size_t, size_t)) {
  agent::ThreadState& state = agent::this_thread();
  if (!agent::should_record(state)) return reallocate(old_pointer, count, size);
  agent::ReentrancyGuard guard(state);
  agent::refresh_hooks_if_needed();
  agent::ThreadRing* ring = agent::thread_ring(state);
  uint32_t stack = agent::capture_stack(ring, caller);
  size_t bytes = count * size;
  auto old_address = reinterpret_cast<uintptr_t>(old_pointer);
  if (old_pointer != nullptr) agent::record_event(ring, EventKind::ReallocOut, kHeapMalloc, old_address, 0, 0);
  void* pointer = reallocate(old_pointer, count, size);
  if (pointer != nullptr) {
    // Growing nothing is allocating: realloc(NULL, n) and reallocarray(NULL, ...).
    EventKind kind = old_pointer == nullptr ? EventKind::Alloc : EventKind::ReallocIn;
    agent::record_event(ring, kind, kHeapMalloc, reinterpret_cast<uintptr_t>(pointer), bytes, stack);
  } else if (old_pointer != nullptr && bytes != 0) {
    // Failed: the old block is still there. Its original size is unknown here;
    // the usable size is the closest we have.
    agent::record_event(ring, EventKind::ReallocIn, kHeapMalloc, old_address, malloc_usable_size(old_pointer), stack);
  }
  return pointer;
}

void* call_realloc(void* pointer, size_t count, size_t size) { return agent::real.realloc(pointer, count * size); }
void* call_reallocarray(void* pointer, size_t count, size_t size) {
  return agent::real.reallocarray(pointer, count, size);
}

inline __attribute__((always_inline)) void record_release(EventKind kind, uint8_t heap, const void* pointer,
                                                          size_t size) {
  agent::ThreadState& state = agent::this_thread();
  if (pointer == nullptr || !agent::should_record(state)) return;
  agent::ReentrancyGuard guard(state);
  agent::refresh_hooks_if_needed();
  agent::record_event(agent::thread_ring(state), kind, heap, reinterpret_cast<uintptr_t>(pointer), size, 0);
}

}  // namespace

extern "C" {

void* leakspy_hooked_malloc(size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size, [&] { return agent::real.malloc(size); });
}

void* leakspy_hooked_calloc(size_t count, size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, count * size,
                           [&] { return agent::real.calloc(count, size); });
}

void* leakspy_hooked_realloc(void* pointer, size_t size) {
  if (pointer == nullptr) {  // realloc(NULL, n) is malloc(n)
    return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size, [&] { return agent::real.realloc(nullptr, size); });
  }
  return record_reallocation(LEAKSPY_CALLER_FRAME(), pointer, 1, size, call_realloc);
}

void* leakspy_hooked_reallocarray(void* pointer, size_t count, size_t size) {
  return record_reallocation(LEAKSPY_CALLER_FRAME(), pointer, count, size, call_reallocarray);
}

void leakspy_hooked_free(void* pointer) {
  record_release(EventKind::Free, kHeapMalloc, pointer, 0);
  agent::real.free(pointer);
}

int leakspy_hooked_posix_memalign(void** out, size_t alignment, size_t size) {
  int result = 0;
  record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size, [&]() -> void* {
    result = agent::real.posix_memalign(out, alignment, size);
    return result == 0 ? *out : nullptr;
  });
  return result;
}

void* leakspy_hooked_aligned_alloc(size_t alignment, size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size,
                           [&] { return agent::real.aligned_alloc(alignment, size); });
}

void* leakspy_hooked_memalign(size_t alignment, size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size,
                           [&] { return agent::real.memalign(alignment, size); });
}

void* leakspy_hooked_valloc(size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size, [&] { return agent::real.valloc(size); });
}

void* leakspy_hooked_pvalloc(size_t size) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMalloc, size, [&] { return agent::real.pvalloc(size); });
}

void* leakspy_hooked_mmap(void* address, size_t length, int prot, int flags, int fd, off_t offset) {
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMmap, length,
                           [&] { return agent::real.mmap(address, length, prot, flags, fd, offset); });
}

void* leakspy_hooked_mmap64(void* address, size_t length, int prot, int flags, int fd, off_t offset) {
  auto map = agent::real.mmap64 != nullptr ? agent::real.mmap64 : agent::real.mmap;
  return record_allocation(LEAKSPY_CALLER_FRAME(), kHeapMmap, length,
                           [&] { return map(address, length, prot, flags, fd, offset); });
}

int leakspy_hooked_munmap(void* address, size_t length) {
  record_release(EventKind::FreeRange, kHeapMmap, address, length);
  return agent::real.munmap(address, length);
}

void* leakspy_hooked_mremap(void* old_address, size_t old_size, size_t new_size, int flags, void* new_address) {
  agent::CallerFrame caller = LEAKSPY_CALLER_FRAME();
  agent::ThreadState& state = agent::this_thread();
  if (!agent::should_record(state)) return agent::real.mremap(old_address, old_size, new_size, flags, new_address);
  agent::ReentrancyGuard guard(state);
  agent::ThreadRing* ring = agent::thread_ring(state);
  uint32_t stack = agent::capture_stack(ring, caller);
  agent::record_event(ring, EventKind::FreeRange, kHeapMmap, reinterpret_cast<uintptr_t>(old_address), old_size, 0);
  void* moved = agent::real.mremap(old_address, old_size, new_size, flags, new_address);
  bool ok = moved != MAP_FAILED;
  agent::record_event(ring, EventKind::ReallocIn, kHeapMmap, reinterpret_cast<uintptr_t>(ok ? moved : old_address),
                      ok ? new_size : old_size, stack);
  return moved;
}

int leakspy_hooked_dlclose(void* handle) {
  int result = agent::real.dlclose(handle);
  agent::ThreadState& state = agent::this_thread();
  agent::ReentrancyGuard guard(state);
  agent::forget_unloaded_modules();
  agent::invalidate_unwind_rules();  // the unloaded code's addresses may be reused
  return result;
}

}  // extern "C"
