#pragma once
// The Python side of a recording session: find the interpreter when the
// session starts, turn Python frames on once it is initialized (leakspy run
// starts before the interpreter does), wrap its allocators, and undo it all
// at the end. Called by the session and the writer thread only.

#include <cstdint>

#include "agent/transport.h"

namespace leakspy::agent::python {

void start_python_support();
// Each writer cycle: notices the interpreter becoming ready, and (with the
// loader's count of modules loaded so far) PyTorch's CUDA library.
void poll_python_support(uint64_t modules_loaded);
// At the end of a session. At process exit the interpreter is finalizing or
// gone: nothing of it may be touched then.
void stop_python_support(bool process_exit);
// Writer: sends the code objects interned since the last call.
bool report_python_code(Transport& transport);
void forget_reported_python_code();
// In a forked child, before its session goes on: see CodeTable::settle_after_fork.
void settle_python_after_fork();

}  // namespace leakspy::agent::python
