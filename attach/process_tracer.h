#pragma once
// Stops every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT and
// detaches from all of them when destroyed, errors included. Signals that
// arrive while a thread is stopped are kept and delivered at detach, so the
// target loses none. No gdb: plain ptrace(2).
// Offline side; not thread-safe (ptrace requests must come from the thread
// that attached: create, use and destroy it on one thread).

#include <sys/types.h>
#include <sys/user.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

namespace leakspy::attach {

class ProcessTracer {
 public:
  // Seizes every thread, rescanning /proc/PID/task until the set is stable,
  // and waits until each one is stopped. Throws Error (see ptrace_diagnosis.h).
  explicit ProcessTracer(pid_t pid);
  ~ProcessTracer();
  ProcessTracer(const ProcessTracer&) = delete;
  ProcessTracer& operator=(const ProcessTracer&) = delete;

  pid_t pid() const { return pid_; }
  // Threads seized and stopped, the main thread first.
  std::vector<pid_t> threads() const;

  // Lets every thread run for `duration` and stops them all again (threads
  // may end meanwhile, and new ones are not seized).
  void run_briefly(std::chrono::milliseconds duration);
  // Detaches every thread but `kept`, which stays stopped and traced.
  void release_all_but(pid_t kept);

  user_regs_struct registers(pid_t tid) const;
  void set_registers(pid_t tid, const user_regs_struct& registers) const;
  // The whole extended register state (x87, SSE, AVX, ...: NT_X86_XSTATE),
  // as an opaque block to give back with set_extended_state.
  std::vector<uint8_t> extended_state(pid_t tid) const;
  void set_extended_state(pid_t tid, const std::vector<uint8_t>& state) const;
  void read_memory(uintptr_t address, void* out, size_t size) const;
  void write_memory(uintptr_t address, const void* data, size_t size) const;

  // Single-steps `tid` until its instruction pointer is `address`; false
  // after `max_steps` or `timeout` (the thread is stopped again either way).
  // Signals that arrive meanwhile are kept for detach.
  bool step_until(pid_t tid, uintptr_t address, int max_steps, std::chrono::milliseconds timeout);

  // Resumes `tid` and waits for its next stop. Returns the stop's signal
  // (0 for a ptrace event stop); another signal than the one expected is
  // kept for delivery at detach and the thread resumed again. Throws
  // Error(ProcessExiting) if the thread or process ends, or after `timeout`.
  int continue_until_signal(pid_t tid, int expected_signal, std::chrono::milliseconds timeout);

 private:
  void seize_new_threads();
  void wait_until_stopped(pid_t tid);
  // The status of `tid`'s next stop; nothing at `deadline` (it is then
  // interrupted and stopped). Throws Error(ProcessExiting) if it ended.
  std::optional<int> wait_for_stop(pid_t tid, std::chrono::steady_clock::time_point deadline,
                                   std::chrono::microseconds poll_interval);
  void detach(pid_t tid);

  pid_t pid_;
  // Thread -> the target's own signals that arrived while it was stopped;
  // sent again at detach.
  std::map<pid_t, std::vector<int>> stopped_;
};

}  // namespace leakspy::attach
