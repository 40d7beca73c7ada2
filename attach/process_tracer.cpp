#include "attach/process_tracer.h"

#include <dirent.h>
#include <elf.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "common/proc_status.h"
#include "attach/ptrace_diagnosis.h"
#include "common/error.h"

namespace leakspy::attach {

namespace {

// A step whose trap has not come after this long is stuck in the kernel (a
// page fault that waits for I/O, say): it is interrupted, and its trap reclaimed.
constexpr auto kStepStall = std::chrono::seconds(1);
constexpr std::chrono::microseconds kLongestPoll(1000);

std::set<pid_t> list_threads(pid_t pid) {
  std::set<pid_t> threads;
  std::string directory = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(directory.c_str());
  if (dir == nullptr) return threads;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] >= '0' && entry->d_name[0] <= '9') threads.insert(static_cast<pid_t>(std::atoi(entry->d_name)));
  }
  closedir(dir);
  return threads;
}

bool is_event_stop(int status) { return (status >> 16) == PTRACE_EVENT_STOP; }

// Whether a SIGTRAP is pending for `tid` alone (SigPnd in its status file).
bool has_pending_trap(pid_t pid, pid_t tid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigPnd:", 0) != 0) continue;
    unsigned long long mask = std::strtoull(line.c_str() + 7, nullptr, 16);
    return (mask & (1ULL << (SIGTRAP - 1))) != 0;
  }
  return false;
}

// Whether the SIGTRAP `tid` is stopped with is the kernel's report of a
// single step: TRAP_TRACE after an instruction, TRAP_BRKPT at the end of a
// system call made while stepping (arch/x86 user_single_step_report).
bool is_step_trap(pid_t tid) {
  siginfo_t info{};
  if (ptrace(PTRACE_GETSIGINFO, tid, nullptr, &info) != 0) return false;
  return info.si_signo == SIGTRAP && (info.si_code == TRAP_TRACE || info.si_code == TRAP_BRKPT);
}

// Whether every thread of `pid` has ended: its leader alone may be a zombie
// while other threads run (a main thread that called pthread_exit).
bool is_dead(pid_t pid) {
  std::optional<ProcStat> stat = read_proc_stat(pid);
  if (!stat || stat->state == 'X') return true;
  if (stat->state != 'Z') return false;
  for (pid_t tid : list_threads(pid)) {
    std::ifstream task("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(task)), std::istreambuf_iterator<char>());
    size_t name_end = text.rfind(')');
    if (name_end != std::string::npos && name_end + 2 < text.size() && text[name_end + 2] != 'Z' &&
        text[name_end + 2] != 'X') {
      return false;
    }
  }
  return true;
}

std::string signal_name(int signal) {
  const char* name = sigabbrev_np(signal);
  return name != nullptr ? std::string("SIG") + name : "signal " + std::to_string(signal);
}

}  // namespace

ProcessTracer::ProcessTracer(pid_t pid) : pid_(pid) {
  try {
    seize_new_threads();
  } catch (...) {
    for (auto& [tid, thread] : stopped_) detach(tid);
    throw;
  }
}

ProcessTracer::~ProcessTracer() {
  for (auto& [tid, thread] : stopped_) detach(tid);
}

std::vector<pid_t> ProcessTracer::threads() const {
  std::vector<pid_t> result;
  for (const auto& [tid, thread] : stopped_) result.push_back(tid);
  std::stable_partition(result.begin(), result.end(), [&](pid_t tid) { return tid == pid_; });
  return result;
}

void ProcessTracer::seize_new_threads() {
  // A running thread may start others while we seize: rescan until a pass
  // finds nobody new. Stopped threads cannot start threads. Each pass
  // interrupts every new thread before waiting for any: a busy process has
  // more runnable threads than CPUs, and each must be scheduled to stop, so
  // waiting for them one by one would add up those delays while the ones
  // already stopped wait.
  for (int pass = 0; pass < 1000; ++pass) {
    std::vector<pid_t> seized;
    for (pid_t tid : list_threads(pid_)) {
      if (stopped_.count(tid) != 0) continue;
      if (ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
        if (errno == ESRCH) continue;  // the thread ended meanwhile
        explain_ptrace_failure(pid_, errno);
      }
      stopped_[tid] = {};
      ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
      seized.push_back(tid);
    }
    for (pid_t tid : seized) wait_until_stopped(tid);
    if (seized.empty()) {
      if (stopped_.empty()) {
        if (end_status_) throw_ended();
        throw Error(ErrorKind::NoSuchProcess, "process " + std::to_string(pid_) + " has no threads left");
      }
      return;
    }
  }
  throw Error(ErrorKind::UnsupportedTarget, "process " + std::to_string(pid_) + " keeps creating threads faster than leakspy can stop them");
}

void ProcessTracer::note_end(pid_t, int status) {
  // The first death seen says how the process went: a fatal signal reaches
  // every thread, exit_group gives each the same code.
  if (!end_status_ || (WIFSIGNALED(status) && !WIFSIGNALED(*end_status_))) end_status_ = status;
}

std::string ProcessTracer::how_it_ended() const {
  if (!is_dead(pid_)) return "";
  if (end_status_ && WIFSIGNALED(*end_status_)) {
    return "was killed by " + signal_name(WTERMSIG(*end_status_)) + (WCOREDUMP(*end_status_) ? " (core dumped)" : "");
  }
  if (end_status_ && WIFEXITED(*end_status_)) return "exited with status " + std::to_string(WEXITSTATUS(*end_status_));
  return "exited";
}

void ProcessTracer::throw_ended() const {
  std::string how = how_it_ended();
  throw Error(ErrorKind::ProcessExiting,
              "process " + std::to_string(pid_) + " " + (how.empty() ? "exited" : how) + " while leakspy was attaching");
}

void ProcessTracer::file_signal_stop(pid_t tid, int status) {
  Thread& thread = stopped_[tid];
  int signal = WSTOPSIG(status);
  if (signal == SIGTRAP && thread.stepping && is_step_trap(tid)) {
    thread.stepping = false;  // leakspy's own: suppressed by resuming with no signal
    return;
  }
  thread.signals.push_back(signal);
}

void ProcessTracer::reclaim_step_trap(pid_t tid) {
  auto found = stopped_.find(tid);
  if (found == stopped_.end() || !found->second.stepping) return;
  if (!has_pending_trap(pid_, tid)) {
    found->second.stepping = false;
    return;
  }
  // Resumed, a thread takes its pending signals before it runs an
  // instruction, the kernel's synchronous ones (the trap) first: it stops
  // again at once, in the trap's delivery, where the trap is suppressed.
  ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  for (;;) {
    int status = 0;
    pid_t got = waitpid(tid, &status, __WALL);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
      if (got >= 0) note_end(tid, status);
      stopped_.erase(tid);
      return;
    }
    if (!WIFSTOPPED(status)) continue;
    if (is_event_stop(status)) {
      ptrace(PTRACE_CONT, tid, nullptr, nullptr);
      continue;
    }
    file_signal_stop(tid, status);
    if (!stopped_[tid].stepping) return;
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  }
}

bool ProcessTracer::collect_if_dead() {
  if (!is_dead(pid_)) return false;
  // A dead thread group reports each thread's end to its tracer, but the
  // leader's only once every other thread is reaped: collect them all, or a
  // wait for one of them never returns.
  std::vector<pid_t> tids;
  for (const auto& [tid, thread] : stopped_) tids.push_back(tid);
  for (int round = 0; round < 2; ++round) {
    for (pid_t tid : tids) {
      int status = 0;
      pid_t got = waitpid(tid, &status, __WALL | WNOHANG);
      if (got < 0 || (got == tid && (WIFEXITED(status) || WIFSIGNALED(status)))) {
        if (got == tid) note_end(tid, status);
        stopped_.erase(tid);
      }
    }
  }
  return true;
}

void ProcessTracer::wait_until_stopped(pid_t tid) {
  // A stop comes within microseconds, or within a scheduling delay on a
  // busy machine: poll, backing off to a millisecond, and look whether the
  // process died (see collect_if_dead) at each millisecond's poll.
  std::chrono::microseconds pause(5);
  for (;;) {
    int status = 0;
    pid_t got = waitpid(tid, &status, __WALL | WNOHANG);
    if (got == 0) {
      if (pause >= kLongestPoll && collect_if_dead()) {
        stopped_.erase(tid);
        return;
      }
      std::this_thread::sleep_for(pause);
      pause = std::min(pause * 2, kLongestPoll);
      continue;
    }
    if (got < 0) {
      if (errno == EINTR) continue;
      stopped_.erase(tid);
      return;
    }
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      note_end(tid, status);
      stopped_.erase(tid);
      return;
    }
    if (!WIFSTOPPED(status)) continue;
    if (is_event_stop(status)) {
      reclaim_step_trap(tid);
      return;
    }
    // A signal arrived first: keep it for detach (unless it is our own step's
    // trap), and let the interrupt (still pending) stop the thread.
    file_signal_stop(tid, status);
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  }
}

void ProcessTracer::detach(pid_t tid) {
  reclaim_step_trap(tid);
  auto found = stopped_.find(tid);
  if (found == stopped_.end()) return;
  // PTRACE_DETACH cannot inject a signal from an event stop; queued now, the
  // signals are delivered as usual once the thread runs untraced.
  for (int signal : found->second.signals) syscall(SYS_tgkill, pid_, tid, signal);
  ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
}

void ProcessTracer::run_briefly(std::chrono::milliseconds duration) {
  for (auto& [tid, thread] : stopped_) ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  std::this_thread::sleep_for(duration);
  std::vector<pid_t> tids;
  for (auto& [tid, thread] : stopped_) tids.push_back(tid);
  for (pid_t tid : tids) ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);  // all first: see seize_new_threads
  for (pid_t tid : tids) wait_until_stopped(tid);
  if (stopped_.empty()) throw_ended();
}

void ProcessTracer::release_all_but(pid_t kept) {
  std::vector<pid_t> others;
  for (const auto& [tid, thread] : stopped_) {
    if (tid != kept) others.push_back(tid);
  }
  for (pid_t tid : others) {
    detach(tid);
    stopped_.erase(tid);
  }
}

user_regs_struct ProcessTracer::registers(pid_t tid) const {
  user_regs_struct registers{};
  if (ptrace(PTRACE_GETREGS, tid, nullptr, &registers) != 0) {
    if (errno == ESRCH && !how_it_ended().empty()) throw_ended();
    throw_errno(ErrorKind::ProcessExiting, "cannot read the registers of thread " + std::to_string(tid));
  }
  return registers;
}

void ProcessTracer::set_registers(pid_t tid, const user_regs_struct& registers) const {
  if (ptrace(PTRACE_SETREGS, tid, nullptr, &registers) != 0) {
    if (errno == ESRCH && !how_it_ended().empty()) throw_ended();
    throw_errno(ErrorKind::ProcessExiting, "cannot set the registers of thread " + std::to_string(tid));
  }
}

std::vector<uint8_t> ProcessTracer::extended_state(pid_t tid) const {
  std::vector<uint8_t> state(64 * 1024);  // larger than any XSAVE area (AMX included)
  iovec buffer{state.data(), state.size()};
  if (ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_X86_XSTATE), &buffer) != 0) {
    throw_errno(ErrorKind::ProcessExiting, "cannot read the extended registers of thread " + std::to_string(tid));
  }
  state.resize(buffer.iov_len);
  return state;
}

void ProcessTracer::set_extended_state(pid_t tid, const std::vector<uint8_t>& state) const {
  iovec buffer{const_cast<uint8_t*>(state.data()), state.size()};
  if (ptrace(PTRACE_SETREGSET, tid, reinterpret_cast<void*>(NT_X86_XSTATE), &buffer) != 0) {
    throw_errno(ErrorKind::ProcessExiting, "cannot restore the extended registers of thread " + std::to_string(tid));
  }
}

void ProcessTracer::read_memory(uintptr_t address, void* out, size_t size) const {
  iovec local{out, size};
  iovec remote{reinterpret_cast<void*>(address), size};
  if (process_vm_readv(pid_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(size)) {
    throw_errno(ErrorKind::ProcessExiting, "cannot read the target's memory");
  }
}

void ProcessTracer::write_memory(uintptr_t address, const void* data, size_t size) const {
  iovec local{const_cast<void*>(data), size};
  iovec remote{reinterpret_cast<void*>(address), size};
  if (process_vm_writev(pid_, &local, 1, &remote, 1, 0) != static_cast<ssize_t>(size)) {
    throw_errno(ErrorKind::ProcessExiting, "cannot write the target's memory");
  }
}

std::optional<int> ProcessTracer::wait_for_stop(pid_t tid, std::chrono::steady_clock::time_point deadline,
                                                std::chrono::microseconds poll_interval) {
  for (;;) {
    int status = 0;
    pid_t got = waitpid(tid, &status, __WALL | WNOHANG);
    if (got == 0) {
      if (collect_if_dead()) {
        stopped_.erase(tid);
        throw_ended();
      }
      if (std::chrono::steady_clock::now() > deadline) {
        ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
        wait_until_stopped(tid);
        if (stopped_.count(tid) == 0) throw_ended();
        return std::nullopt;
      }
      if (poll_interval.count() == 0) {
        std::this_thread::yield();
      } else {
        std::this_thread::sleep_for(poll_interval);
      }
      continue;
    }
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 || WIFEXITED(status) || WIFSIGNALED(status)) {
      if (got >= 0) note_end(tid, status);
      stopped_.erase(tid);
      throw_ended();
    }
    if (WIFSTOPPED(status)) return status;
  }
}

bool ProcessTracer::step_until(pid_t tid, uintptr_t address, int max_steps, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (int step = 0; step < max_steps; ++step) {
    user_regs_struct now = registers(tid);
    if (now.rip == address) return true;
    // Never step into the kernel: see the header.
    if (static_cast<long long>(now.orig_rax) >= 0 || is_system_call_instruction(*this, now.rip)) return false;
    if (std::chrono::steady_clock::now() > deadline) return false;
    stopped_[tid].stepping = true;
    if (ptrace(PTRACE_SINGLESTEP, tid, nullptr, nullptr) != 0) {
      stopped_[tid].stepping = false;
      return false;
    }
    // One instruction that enters no system call: its trap comes within
    // microseconds, so poll without sleeping.
    std::optional<int> status =
        wait_for_stop(tid, std::chrono::steady_clock::now() + kStepStall, std::chrono::microseconds(0));
    if (!status) return false;  // stalled: interrupted, its trap reclaimed
    if (!is_event_stop(*status)) file_signal_stop(tid, *status);
  }
  return registers(tid).rip == address;
}

void ProcessTracer::continue_until_signal(pid_t tid, int expected_signal, std::chrono::milliseconds patience,
                                          const std::function<void()>& overdue) {
  if (ptrace(PTRACE_CONT, tid, nullptr, nullptr) != 0) throw_errno(ErrorKind::ProcessExiting, "cannot resume thread " + std::to_string(tid));
  auto deadline = std::chrono::steady_clock::now() + patience;
  for (;;) {
    std::optional<int> status = wait_for_stop(tid, deadline, std::chrono::microseconds(200));
    if (!status) {
      // Interrupted at the deadline: said once, then resumed to go on.
      if (overdue) overdue();
      deadline = std::chrono::steady_clock::time_point::max();
      ptrace(PTRACE_CONT, tid, nullptr, nullptr);
      continue;
    }
    if (is_event_stop(*status)) {
      ptrace(PTRACE_CONT, tid, nullptr, nullptr);  // a group stop or our own interrupt: go on
      continue;
    }
    int signal = WSTOPSIG(*status);
    if (signal == expected_signal) return;
    file_signal_stop(tid, *status);  // the target's own signal: delivered at detach
    ptrace(PTRACE_CONT, tid, nullptr, nullptr);
  }
}

}  // namespace leakspy::attach
