#pragma once
// The producer half of the hot path: what a hook does once it decided to
// record. Runs on the target's threads, inside the ReentrancyGuard.
// Never blocks for long (see ring_reserve) and never allocates through the hooks.

#include <cstdint>

#include "agent/agent_state.h"
#include "agent/thread_state.h"
#include "capture/format.h"

namespace leakspy::agent {

// Should this call be recorded? Checked before anything else in every hook.
inline bool should_record(const ThreadState& state) {
  return state.in_agent == 0 && tracking.load(std::memory_order_relaxed);
}

// Unwinds the calling thread and interns the stack; returns its node id.
uint32_t capture_stack();

// Appends one event to the calling thread's ring (claiming a ring on first use),
// preceded by an epoch mark when the epoch moved on.
void record_event(ThreadState& state, capture::EventKind kind, uint8_t heap, uintptr_t address, uint64_t size,
                  uint32_t stack);

// Patches modules loaded since the last look (see dlopen_trampoline.S).
void refresh_hooks_if_needed();

// Registers the pthread key whose destructor marks a thread's ring Exiting.
[[nodiscard]] bool init_thread_exit_tracking();

}  // namespace leakspy::agent
