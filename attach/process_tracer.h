#pragma once
// Stops every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT and
// detaches from all of them when destroyed, errors included. Signals that
// arrive while a thread is stopped are kept and delivered at detach, so the
// target loses none; the traps of leakspy's own single steps never reach it
// (see step_until). No gdb: plain ptrace(2).
// Offline side; not thread-safe (ptrace requests must come from the thread
// that attached: create, use and destroy it on one thread).

#include <sys/types.h>
#include <sys/user.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "attach/remote_memory.h"

namespace leakspy::attach {

class ProcessTracer : public RemoteMemory {
 public:
  // Seizes every thread, rescanning /proc/PID/task until the set is stable,
  // and waits until each one is stopped. Throws Error (see ptrace_diagnosis.h).
  explicit ProcessTracer(pid_t pid);
  ~ProcessTracer() override;
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
  void read_memory(uintptr_t address, void* out, size_t size) const override;
  void write_memory(uintptr_t address, const void* data, size_t size) const;

  // Single-steps `tid` until its instruction pointer is `address`; false
  // after `max_steps` or `timeout`, or at once when the thread is in a system
  // call or about to make one (a step into a blocking call would block, and
  // its trap would be reported after the call, when nobody waits for it: the
  // target would die of it after detach). The thread is stopped either way,
  // and no trap of leakspy's is left pending. Signals of the target's own
  // that arrive meanwhile are kept for detach.
  bool step_until(pid_t tid, uintptr_t address, int max_steps, std::chrono::milliseconds timeout);

  // Resumes `tid` and waits until it stops with `expected_signal`; another
  // signal is kept for delivery at detach and the thread resumed again. It
  // waits as long as that takes (a call leakspy made into the thread cannot
  // be abandoned: the thread would go on and crash at its end), calling
  // `overdue` once after `patience`. Throws Error(ProcessExiting) if the
  // thread or process ends.
  void continue_until_signal(pid_t tid, int expected_signal, std::chrono::milliseconds patience,
                             const std::function<void()>& overdue);

  // What became of the process when it ended while attached ("was killed by
  // SIGSEGV", "exited with status 3"), or "" while it lives.
  std::string how_it_ended() const;

 private:
  struct Thread {
    std::vector<int> signals;  // the target's own, that arrived while stopped: sent again at detach
    bool stepping = false;     // a single step was asked for and its trap not yet seen
  };

  void seize_new_threads();
  void wait_until_stopped(pid_t tid);
  // The status of `tid`'s next stop; nothing at `deadline` (it is then
  // interrupted and stopped). Throws Error(ProcessExiting) if it ended.
  std::optional<int> wait_for_stop(pid_t tid, std::chrono::steady_clock::time_point deadline,
                                   std::chrono::microseconds poll_interval);
  // Files a signal-delivery stop: leakspy's own step trap is consumed,
  // anything else is the target's and kept for detach.
  void file_signal_stop(pid_t tid, int status);
  // A step interrupted before its trap was seen may have left the trap
  // pending (reported at the end of a system call): take it now, so that it
  // is never delivered to the target.
  void reclaim_step_trap(pid_t tid);
  void note_end(pid_t tid, int status);
  // When the process is dead (a zombie or gone), reaps every traced
  // thread's end and returns true.
  bool collect_if_dead();
  [[noreturn]] void throw_ended() const;
  void detach(pid_t tid);

  pid_t pid_;
  std::map<pid_t, Thread> stopped_;
  std::optional<int> end_status_;  // the wait status of the first thread seen to die
};

}  // namespace leakspy::attach
