#pragma once
// The wrappers of exec and posix_spawn (exec_hooks.cpp): a program started
// from a recorded process gets the agent's variables in its environment
// (exec_environment.h), so an exec is followed whatever environment the
// program passes, and in a process leakspy attached to as in one it started.

namespace leakspy::agent {

// Remembers the agent's own file, for LD_PRELOAD. Not async-signal-safe:
// called once at set-up, before any hook is installed.
void remember_agent_path();

}  // namespace leakspy::agent
