#pragma once
// The environment a program started from a recorded process gets, so that
// leakspy's agent loads into it and connects: LD_PRELOAD names the agent,
// LEAKSPY_SOCKET the recorder and LEAKSPY_PID the process whose programs
// are recorded (capture/wire.h). The program's own environment may lack them:
// a process that leakspy attached to never had them, and a program passes an
// environment of its own to execve or posix_spawn (subprocess's env=).
//
// Async-signal-safe: it runs in the child of a fork or vfork, between the
// fork and the exec. Memory comes from mmap(2), never from the allocator.

#include <cstddef>

namespace leakspy::agent {

struct AgentVariables {
  const char* agent_path;        // the agent's file, as the target sees it
  const char* recorder_address;  // LEAKSPY_SOCKET's value
  const char* recorded_pid;      // LEAKSPY_PID's value: a pid, or wire::kEveryPid
};

// `environment` without its LD_PRELOAD, LEAKSPY_SOCKET and LEAKSPY_PID, then
// those three from `variables`; LD_PRELOAD keeps its entries that are not the
// agent, after the agent. nullptr when the memory cannot be had (exec with
// `environment` then). Free with release_exec_environment.
char** make_exec_environment(char* const* environment, const AgentVariables& variables);
void release_exec_environment(char** made);

// LD_PRELOAD's value `preload` without the agent's entries, ':'-separated,
// into `out` (NUL-terminated; entries that do not fit are left out).
// Returns its length.
size_t preload_without_agent(const char* preload, char* out, size_t capacity);

}  // namespace leakspy::agent
