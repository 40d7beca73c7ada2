#pragma once
// Marks where the process begins to exit (wire::kExitMark, the capture's Exit
// record): what the process frees after it is its teardown, not a release.
// The first mark of a session wins; later calls do nothing. Thread-safe,
// never blocks, never allocates through the hooks.
//
// Where a mark comes from:
// - exit() called through a patched GOT entry (process_hooks.cpp);
// - the agent's atexit handler (main returned, or exit() called from a
//   module the hooks do not cover);
// - a Python interpreter that began to finalize: while a Python session
//   runs, every release first asks the interpreter (record_event), so that
//   the mark lands before the first free of the finalization.

#include <atomic>

#include "agent/thread_ring.h"
#include "capture/format.h"

namespace leakspy::agent {

// Set while marks may still come: from open_session until the first mark.
extern std::atomic<bool> exit_mark_armed;
// Set while a Python session runs and asks the interpreter on every event.
extern std::atomic<int (*)()> python_finalizing_probe;

// At the start of a session: a new session may mark again.
void arm_exit_mark();
// Marks the exit on the calling thread's ring (claimed if it has none).
void mark_exit(capture::ExitCause cause);
// record_event's share: marks the exit before the event when the Python
// interpreter has begun to finalize. Inline: it is on every event.
void mark_exit_if_finalizing(ThreadRing* ring);
inline void check_exit_before_event(ThreadRing* ring) {
  if (__builtin_expect(python_finalizing_probe.load(std::memory_order_relaxed) != nullptr, 0)) {
    mark_exit_if_finalizing(ring);
  }
}

}  // namespace leakspy::agent
