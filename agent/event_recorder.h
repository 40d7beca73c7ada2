#pragma once
// The producer half of the hot path: what a hook does once it decided to
// record. Runs on the target's threads, inside the ReentrancyGuard.
// Never blocks for long (see ring_reserve) and never allocates through the hooks.

#include <cstdint>

#include "agent/agent_state.h"
#include "agent/fast_unwinder.h"
#include "agent/thread_state.h"
#include "capture/format.h"

namespace leakspy::agent {

// Should this call be recorded? Checked before anything else in every hook.
inline bool should_record(const ThreadState& state) {
  return state.in_agent == 0 && tracking.load(std::memory_order_relaxed);
}

// The calling thread's ring, claimed on first use; nullptr when none can be
// had (its events are then counted as dropped).
ThreadRing* claim_thread_ring(ThreadState& state);
inline ThreadRing* thread_ring(ThreadState& state) {
  return __builtin_expect(state.ring != nullptr, 1) ? state.ring : claim_thread_ring(state);
}

// Unwinds from the hook's caller and interns the stack; returns its node id.
// `python_allocator`: the hook is one of Python's allocator domains.
uint32_t capture_stack(ThreadRing* ring, const CallerFrame& caller, bool python_allocator = false);

// The stack of a call that reached the agent through a library's callback
// (CUPTI): unwound with libunwind (such calls are rare and slow), less the
// innermost frames whose return addresses lie in `skip` (the library's own),
// merged with the thread's Python frames when it runs Python.
struct SkippedCode {
  const uintptr_t* begin;
  const uintptr_t* end;
  uint32_t count;
};
uint32_t capture_stack_outside(ThreadRing* ring, const SkippedCode& skip);

// Appends one event to the ring, preceded by an epoch mark when the epoch
// moved on.
void record_event(ThreadRing* ring, capture::EventKind kind, uint8_t heap, uintptr_t address, uint64_t size,
                  uint32_t stack);
// Appends the exit mark (exit_mark.h), like an event.
void record_exit_mark(ThreadRing* ring, capture::ExitCause cause);

// Patches modules loaded since the last look (see dlopen_trampoline.S).
// Cheap unless a dlopen happened. A module still being loaded is left to the
// writer thread (retry_hooks_in_writer), never retried on every hooked call.
void refresh_hooks_if_needed();
// The writer's share: retries an incomplete pass, at most every `interval_ns`.
void retry_hooks_in_writer(uint64_t now_ns, uint64_t interval_ns);

// Registers the pthread key whose destructor marks a thread's ring Exiting.
[[nodiscard]] bool init_thread_exit_tracking();

}  // namespace leakspy::agent
