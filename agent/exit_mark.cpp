#include "agent/exit_mark.h"

#include <cstdlib>

#include "agent/agent_state.h"
#include "agent/event_recorder.h"
#include "agent/thread_state.h"

namespace leakspy::agent {

constinit std::atomic<bool> exit_mark_armed{false};
constinit std::atomic<int (*)()> python_finalizing_probe{nullptr};

namespace {

// Claims the one mark of the session; false when it was taken (or none may come).
bool claim_mark() {
  if (!exit_mark_armed.exchange(false, std::memory_order_acq_rel)) return false;
  python_finalizing_probe.store(nullptr, std::memory_order_relaxed);
  return true;
}

// Runs among the process's atexit handlers: after those registered later
// (the program's own, when the agent was preloaded), before those registered
// earlier (when it was injected into a running process, nearly all of them).
void mark_at_exit() { mark_exit(capture::ExitCause::Exit); }

}  // namespace

void arm_exit_mark() {
  // Once per process: the agent stays loaded across sessions.
  static bool registered = false;
  if (!registered) registered = std::atexit(mark_at_exit) == 0;
  exit_mark_armed.store(true, std::memory_order_release);
}

void mark_exit(capture::ExitCause cause) {
  if (!tracking.load(std::memory_order_acquire) || !claim_mark()) return;
  ThreadState& state = this_thread();
  ReentrancyGuard guard(state);
  ThreadRing* ring = thread_ring(state);
  if (ring != nullptr) record_exit_mark(ring, cause);
}

void mark_exit_if_finalizing(ThreadRing* ring) {
  int (*probe)() = python_finalizing_probe.load(std::memory_order_relaxed);
  if (probe == nullptr || probe() == 0 || !claim_mark()) return;
  record_exit_mark(ring, capture::ExitCause::PythonFinalization);
}

}  // namespace leakspy::agent
