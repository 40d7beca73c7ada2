#include "agent/python/allocator_domains.h"

#include <time.h>

#include <atomic>

#include "agent/agent_thread.h"
#include "agent/event_recorder.h"
#include "agent/fast_unwinder.h"
#include "agent/python/python_runtime.h"

namespace leakspy::agent::python {

namespace {

constexpr int kDomains = 3;  // PYMEM_DOMAIN_RAW, _MEM, _OBJ

struct Domain {
  MemoryAllocator original;
  uint8_t heap;
};

constinit Domain domains[kDomains] = {};
constinit std::atomic<bool> wrapped{false};
constinit std::atomic<uint32_t> worker_done{0};

using capture::EventKind;

void* wrapped_malloc(void* context, size_t size);
void* wrapped_calloc(void* context, size_t count, size_t size);
void* wrapped_realloc(void* context, void* pointer, size_t size);
void wrapped_free(void* context, void* pointer);

template <typename Allocate>
inline __attribute__((always_inline)) void* record_allocation(const CallerFrame& caller, const Domain& domain,
                                                              size_t size, Allocate&& allocate) {
  ThreadState& state = this_thread();
  if (!should_record(state)) return allocate();
  ReentrancyGuard guard(state);  // the original's own malloc/mmap calls are not ours to count
  ThreadRing* ring = thread_ring(state);
  uint32_t stack = capture_stack(ring, caller, true);
  void* pointer = allocate();
  if (pointer != nullptr) record_event(ring, EventKind::Alloc, domain.heap, reinterpret_cast<uintptr_t>(pointer), size, stack);
  return pointer;
}

void* wrapped_malloc(void* context, size_t size) {
  auto& domain = *static_cast<Domain*>(context);
  return record_allocation(LEAKSPY_CALLER_FRAME(), domain, size,
                           [&] { return domain.original.malloc(domain.original.context, size); });
}

void* wrapped_calloc(void* context, size_t count, size_t size) {
  auto& domain = *static_cast<Domain*>(context);
  return record_allocation(LEAKSPY_CALLER_FRAME(), domain, count * size,
                           [&] { return domain.original.calloc(domain.original.context, count, size); });
}

void* wrapped_realloc(void* context, void* pointer, size_t size) {
  auto& domain = *static_cast<Domain*>(context);
  CallerFrame caller = LEAKSPY_CALLER_FRAME();
  if (pointer == nullptr) {
    return record_allocation(caller, domain, size,
                             [&] { return domain.original.realloc(domain.original.context, nullptr, size); });
  }
  ThreadState& state = this_thread();
  if (!should_record(state)) return domain.original.realloc(domain.original.context, pointer, size);
  ReentrancyGuard guard(state);
  ThreadRing* ring = thread_ring(state);
  uint32_t stack = capture_stack(ring, caller, true);
  record_event(ring, EventKind::ReallocOut, domain.heap, reinterpret_cast<uintptr_t>(pointer), 0, 0);
  void* moved = domain.original.realloc(domain.original.context, pointer, size);
  // On failure the old block stays; its size is unknown here, the new size is the best guess.
  record_event(ring, EventKind::ReallocIn, domain.heap, reinterpret_cast<uintptr_t>(moved != nullptr ? moved : pointer),
               size, stack);
  return moved;
}

void wrapped_free(void* context, void* pointer) {
  auto& domain = *static_cast<Domain*>(context);
  ThreadState& state = this_thread();
  if (pointer == nullptr || !should_record(state)) {
    domain.original.free(domain.original.context, pointer);
    return;
  }
  ReentrancyGuard guard(state);
  record_event(thread_ring(state), EventKind::Free, domain.heap, reinterpret_cast<uintptr_t>(pointer), 0, 0);
  domain.original.free(domain.original.context, pointer);
}

struct WorkerArgument {
  bool wrap;
  uint8_t heap;
};
constinit WorkerArgument worker_argument{};

void allocator_worker() {
  const PythonRuntime& rt = runtime();
  if (rt.gil_ensure != nullptr && rt.get_allocator != nullptr && rt.set_allocator != nullptr &&
      rt.is_initialized() && !rt.is_finalizing()) {
    int gil = rt.gil_ensure();
    if (worker_argument.wrap && !wrapped.load()) {
      for (int i = 0; i < kDomains; ++i) {
        rt.get_allocator(i, &domains[i].original);
        domains[i].heap = worker_argument.heap;
        MemoryAllocator hook{&domains[i], wrapped_malloc, wrapped_calloc, wrapped_realloc, wrapped_free};
        rt.set_allocator(i, &hook);
      }
      wrapped.store(true);
    } else if (!worker_argument.wrap && wrapped.load()) {
      for (int i = 0; i < kDomains; ++i) rt.set_allocator(i, &domains[i].original);
      wrapped.store(false);
    }
    rt.gil_release(gil);
  }
  worker_done.store(1, std::memory_order_release);
}

bool start_worker(bool wrap, uint8_t heap) {
  worker_argument = {wrap, heap};
  worker_done.store(0);
  return start_agent_thread("leakspy-python", allocator_worker);
}

}  // namespace

void start_wrapping_allocators(uint8_t heap) { start_worker(true, heap); }

void unwrap_allocators(uint64_t timeout_ns) {
  if (!wrapped.load() || !start_worker(false, 0)) return;
  for (uint64_t waited = 0; worker_done.load(std::memory_order_acquire) == 0 && waited < timeout_ns;
       waited += 1'000'000) {
    timespec pause{0, 1'000'000};
    nanosleep(&pause, nullptr);
  }
}


}  // namespace leakspy::agent::python
