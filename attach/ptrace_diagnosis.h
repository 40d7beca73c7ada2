#pragma once
// Why a process cannot be attached, read from /proc rather than guessed:
// before ptrace (no such process, zombie or exiting, traced by a debugger)
// and after ptrace refused (another user's process, yama ptrace_scope,
// missing CAP_SYS_PTRACE, a seccomp filter, a non-dumpable target).
// Each answer is one Error whose kind has its own exit code and whose text
// says the cause and what to do. Offline side; allocates.

#include <sys/types.h>

namespace leakspy::attach {

// Throws Error(Usage | NoSuchProcess | ProcessExiting | AlreadyTraced |
// UnsupportedTarget for a stopped process) when `pid` cannot be attached for
// a reason visible before trying.
void check_attachable(pid_t pid);

// Called when PTRACE_SEIZE of a thread of `pid` failed with `errno_value`:
// throws the Error that explains it.
[[noreturn]] void explain_ptrace_failure(pid_t pid, int errno_value);

}  // namespace leakspy::attach
