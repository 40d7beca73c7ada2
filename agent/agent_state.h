#pragma once
// The agent's process-wide state. All of it is constant-initialised (no
// constructors run at load time) and lives for the life of the process: the
// agent is never unloaded, because a stale function pointer to a wrapper may
// survive in the target after the GOT is restored.

#include <atomic>
#include <cstdint>

#include "agent/thread_ring.h"
#include "agent/trace_table.h"

// Shared with dlopen_trampoline.S.
extern "C" {
__attribute__((visibility("hidden"))) extern uint8_t leakspy_modules_dirty;
__attribute__((visibility("hidden"))) extern void* leakspy_real_dlopen;
}

namespace leakspy::agent {

// Hooks record only while this is set; cleared at stop and in forked children.
extern std::atomic<bool> tracking;
// Bumped by the writer at each drain cycle; see capture/wire.h, "Ordering".
extern std::atomic<uint64_t> current_epoch;
extern RingRegistry rings;
extern TraceTable traces;
// Events of threads that could not get a ring (too many threads, no memory).
extern std::atomic<uint64_t> ringless_drops;

}  // namespace leakspy::agent
