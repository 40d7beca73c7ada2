#pragma once
// Calls a function inside a stopped thread of the target, x86-64 System V:
// arguments in registers, strings copied onto the thread's stack below its
// red zone, a return address of 0 so that the return faults (SIGSEGV at
// address 0) and hands control back to leakspy. Afterwards the thread's
// registers (general, x87/SSE/AVX state) and every byte of stack written
// are restored exactly, and a thread stopped inside a system call restarts
// it as if never interrupted (orig_rax is -1 during the call only).
// Offline side; allocates; throws Error.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "attach/process_tracer.h"

namespace leakspy::attach {

// An argument: a number (or pointer value) as is, or a string copied into the
// target whose address is passed.
using RemoteArgument = std::variant<uint64_t, std::string>;

// Calls `function(arguments...)` (at most 6) on stopped thread `tid` and
// returns what it returned in rax. The call takes as long as it takes: a
// thread left inside it would return to address 0 and take its process
// down, so it is never abandoned; `overdue` is called once if it takes
// longer than `patience` (to say why leakspy waits). Throws
// Error(UnsupportedTarget) if the call crashes, Error(ProcessExiting) if the
// target dies meanwhile.
uint64_t call_in_target(ProcessTracer& tracer, pid_t tid, uintptr_t function,
                        const std::vector<RemoteArgument>& arguments, std::chrono::milliseconds patience,
                        const std::function<void()>& overdue = {});

// Reads a NUL-terminated string of at most `limit` bytes from the target.
std::string read_target_string(const ProcessTracer& tracer, uintptr_t address, size_t limit);

}  // namespace leakspy::attach
