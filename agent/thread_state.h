#pragma once
// Per-thread agent state in initial-exec TLS: one load from %fs, no
// __tls_get_addr call, and no allocation on first touch. Keep it small: a library
// loaded with dlopen into a running process takes its initial-exec TLS from the
// static TLS surplus, which glibc keeps small (see docs/design.md, "Static TLS").

#include <cstdint>

namespace leakspy::agent {

struct ThreadRing;

struct ThreadState {
  // > 0 while this thread runs agent code: allocations made then are the
  // agent's own (or libunwind's, or libc's on the agent's behalf) and pass through.
  uint32_t in_agent;
  ThreadRing* ring;  // claimed on the thread's first event
};

extern thread_local ThreadState tls_thread_state __attribute__((tls_model("initial-exec")));

inline ThreadState& this_thread() { return tls_thread_state; }

// Marks the current thread as inside the agent for its lifetime.
class ReentrancyGuard {
 public:
  explicit ReentrancyGuard(ThreadState& state) : state_(state) { ++state_.in_agent; }
  ~ReentrancyGuard() { --state_.in_agent; }
  ReentrancyGuard(const ReentrancyGuard&) = delete;
  ReentrancyGuard& operator=(const ReentrancyGuard&) = delete;

 private:
  ThreadState& state_;
};

}  // namespace leakspy::agent
