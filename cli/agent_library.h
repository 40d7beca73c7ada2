#pragma once
// Finds libleakspy_agent.so and checks that it is safe to load into another
// process: a file others can write to could be swapped for arbitrary code.

#include <string>

namespace leakspy::cli {

// $LEAKSPY_AGENT, else next to the binary: ../lib/libleakspy_agent.so or
// ../lib/leakspy/libleakspy_agent.so. Returns an absolute path.
// Throws Error(AgentFailed) when none is found or the file is group- or
// world-writable.
std::string locate_agent_library();

}  // namespace leakspy::cli
