#include "attach/ptrace_diagnosis.h"

#include <fcntl.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "common/proc_status.h"
#include "common/error.h"
#include "common/unique_fd.h"

namespace leakspy::attach {

namespace {

constexpr int kCapSysPtrace = 19;  // linux/capability.h

std::string describe(pid_t pid) { return "process " + std::to_string(pid) + " (" + process_name(pid) + ")"; }

std::string user_name(long long uid) {
  passwd* entry = getpwuid(static_cast<uid_t>(uid));
  return entry != nullptr ? std::string(entry->pw_name) + " (uid " + std::to_string(uid) + ")"
                          : "uid " + std::to_string(uid);
}

// -1 when the yama module is absent (its file only exists when it is built in).
int yama_ptrace_scope() {
  std::ifstream file("/proc/sys/kernel/yama/ptrace_scope");
  int scope = -1;
  if (file) file >> scope;
  return scope;
}

bool is_ancestor_of(pid_t pid) {
  // Yama's scope 1 allows tracing descendants only.
  pid_t self = getpid();
  for (int depth = 0; depth < 64 && pid > 1; ++depth) {
    std::optional<ProcStatus> status = ProcStatus::read(std::to_string(pid));
    if (!status) return false;
    pid = static_cast<pid_t>(status->number("PPid").value_or(0));
    if (pid == self) return true;
  }
  return false;
}

// A same-user process can still refuse: it changed credentials (setuid) or
// called prctl(PR_SET_DUMPABLE, 0). /proc/PID/environ then opens only for
// those who could trace it, which is the same test the kernel makes.
bool looks_non_dumpable(pid_t pid) {
  UniqueFd environ(::open(("/proc/" + std::to_string(pid) + "/environ").c_str(), O_RDONLY | O_CLOEXEC));
  return !environ && errno == EACCES;
}

[[noreturn]] void not_permitted(const std::string& message) { throw Error(ErrorKind::NotPermitted, message); }

}  // namespace

void check_attachable(pid_t pid) {
  if (pid <= 0) throw Error(ErrorKind::Usage, "--pid must be a process id above 0, not " + std::to_string(pid));
  if (pid == getpid()) throw Error(ErrorKind::Usage, "leakspy cannot record itself: give the pid of another process");
  std::optional<ProcStatus> status = ProcStatus::read(std::to_string(pid));
  if (!status) {
    throw Error(ErrorKind::NoSuchProcess, "no process with pid " + std::to_string(pid) +
                                              " exists (it may have exited): check the pid with ps -p " +
                                              std::to_string(pid));
  }
  std::optional<ProcStat> stat = read_proc_stat(pid);
  if (stat && (stat->state == 'Z' || stat->state == 'X')) {
    throw Error(ErrorKind::ProcessExiting, describe(pid) +
                                               " is a zombie: it has exited and waits for its parent to reap it, so "
                                               "there is nothing left to record");
  }
  if (stat && stat->exiting) {
    throw Error(ErrorKind::ProcessExiting, describe(pid) + " is exiting; there is nothing left to record");
  }
  if (stat && stat->state == 'T') {
    // Its threads, the agent's new one included, would not run until then.
    throw Error(ErrorKind::UnsupportedTarget, describe(pid) + " is stopped (SIGSTOP or job control): resume it with "
                                                  "kill -CONT " + std::to_string(pid) + " and retry");
  }
  long long tracer = status->number("TracerPid").value_or(0);
  if (tracer != 0) {
    throw Error(ErrorKind::AlreadyTraced,
                describe(pid) + " is already traced by " + describe(static_cast<pid_t>(tracer)) +
                    "; a process can have one tracer only: detach the debugger (quit gdb, strace, ...) and retry");
  }
}

void explain_ptrace_failure(pid_t pid, int errno_value) {
  std::string target = describe(pid);
  if (errno_value == ESRCH) {
    throw Error(ErrorKind::NoSuchProcess, target + " exited while leakspy was attaching");
  }
  if (errno_value != EPERM && errno_value != EACCES) {
    throw Error(ErrorKind::NotPermitted, errno_message("cannot attach to " + target, errno_value));
  }
  std::optional<ProcStatus> self = ProcStatus::read("self");
  std::optional<ProcStatus> other = ProcStatus::read(std::to_string(pid));
  if (!other) throw Error(ErrorKind::NoSuchProcess, target + " exited while leakspy was attaching");
  if (long long tracer = other->number("TracerPid").value_or(0); tracer != 0) {
    throw Error(ErrorKind::AlreadyTraced, target + " is already traced by " + describe(static_cast<pid_t>(tracer)) +
                                              ": detach that tracer and retry");
  }
  bool has_cap_ptrace = self && (self->capabilities("CapEff") >> kCapSysPtrace & 1) != 0;
  long long own_uid = static_cast<long long>(geteuid());
  long long target_uid = other->number("Uid").value_or(-1);

  if (!has_cap_ptrace && target_uid != own_uid) {
    not_permitted(target + " belongs to " + user_name(target_uid) + " and leakspy runs as " + user_name(own_uid) +
                  ": run leakspy as that user, or as root (sudo)");
  }
  int scope = yama_ptrace_scope();
  if (scope == 3) {
    not_permitted("kernel.yama.ptrace_scope is 3: this kernel allows no process to attach until it reboots; "
                  "record the program from its start with leakspy run instead");
  }
  if (scope == 2 && !has_cap_ptrace) {
    not_permitted("kernel.yama.ptrace_scope is 2: only a tracer with CAP_SYS_PTRACE may attach; run leakspy as root, "
                  "or set sysctl kernel.yama.ptrace_scope=1 and run it as " + user_name(target_uid));
  }
  if (scope == 1 && !has_cap_ptrace && !is_ancestor_of(pid)) {
    not_permitted("kernel.yama.ptrace_scope is 1: only a parent may attach to its children; run leakspy as root "
                  "(sudo), or set sysctl kernel.yama.ptrace_scope=0");
  }
  if (!has_cap_ptrace) {
    uint64_t theirs = other->capabilities("CapPrm");
    uint64_t ours = self ? self->capabilities("CapPrm") : 0;
    if ((theirs & ~ours) != 0) {
      not_permitted("leakspy lacks CAP_SYS_PTRACE (see CapEff in /proc/self/status) and " + target +
                    " holds capabilities leakspy does not; give leakspy CAP_SYS_PTRACE (containers: --cap-add "
                    "SYS_PTRACE)");
    }
    if (looks_non_dumpable(pid)) {
      not_permitted(target + " is not dumpable (it changed its user ids or called prctl(PR_SET_DUMPABLE, 0)); "
                    "run leakspy as root or with CAP_SYS_PTRACE");
    }
  }
  if (self && self->number("Seccomp").value_or(0) != 0) {
    not_permitted("a seccomp filter on leakspy forbids ptrace (Seccomp: " + self->field("Seccomp") +
                  " in /proc/self/status); run leakspy outside that sandbox (containers: --security-opt "
                  "seccomp=unconfined, or a profile that allows ptrace)");
  }
  not_permitted(errno_message("the kernel refused to let leakspy attach to " + target +
                                  " (an LSM such as SELinux or AppArmor may forbid it)",
                              errno_value));
}

}  // namespace leakspy::attach
