#pragma once
// Finds libleakspy_agent.so and checks that it is safe to load into another
// process: a file others can write to could be swapped for arbitrary code.

#include <string>

#include "attach/target_view.h"
#include "common/unique_fd.h"

namespace leakspy::cli {

// $LEAKSPY_AGENT, else next to the binary: ../lib/libleakspy_agent.so or
// ../lib/leakspy/libleakspy_agent.so. Returns an absolute path.
// Throws Error(AgentFailed) when none is found or the file is group- or
// world-writable.
std::string locate_agent_library();

// The agent, opened from leakspy's view, to be placed in a target's.
struct AgentSource {
  std::string path;
  UniqueFd file;
  std::string content_name;  // attach::agent_content_name
};
AgentSource open_agent_library();

// The agent's path in the view `work` runs in (attach::run_in_target_view or
// run_in_root): placed there by attach::place_agent.
attach::ViewResult place_agent_work(const AgentSource& agent);

}  // namespace leakspy::cli
