#pragma once
// Loads leakspy's agent into a running process and starts it: stop every
// thread (ProcessTracer), choose a thread at a safe point (SafePointFinder),
// let the others go, call dlopen in the target's libc on that thread, then
// the agent's leakspy_agent_start, which only starts the agent's thread and
// returns; then detach. An agent already loaded by an earlier attach is
// reused without a second dlopen. Offline side; allocates; throws Error.

#include <sys/types.h>

#include <string>

namespace leakspy::attach {

struct InjectionResult {
  bool reused_agent = false;    // the agent was already loaded
  pid_t calling_thread = 0;     // the thread that made the calls
  double stopped_seconds = 0;   // how long the target's threads were held
};

// `agent_path`: the agent as the target sees it (agent_placement.h).
// `socket_path`: where the agent connects, as the target sees it.
// Throws Error(AlreadyRecording) when another leakspy records the target,
// Error(AgentFailed) with dlerror's text when the target cannot load it.
InjectionResult inject_agent(pid_t pid, const std::string& agent_path, const std::string& socket_path);

}  // namespace leakspy::attach
