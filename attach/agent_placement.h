#pragma once
// Where a target finds leakspy's agent. A target that can open leakspy's own
// agent file (same file system, readable by its user) loads it from there.
// Any other (a container, a chroot, a user who cannot read leakspy's build)
// gets one copy per agent build, named by a hash of its content:
// DIR/leakspy-agent-HASH/libleakspy_agent.so, in the first of /tmp, /var/tmp
// and /dev/shm where the target's user can write and run files. A copy that
// is already there with the right content is reused, so repeated attaches
// leave nothing new behind. Runs inside the target's view (target_view.h):
// every path is the target's, every file is made with its rights.
// Offline side; allocates; throws Error(AgentFailed).

#include <cstdint>
#include <string>

namespace leakspy::attach {

// The content name of the agent file open at `descriptor`: 16 hex digits.
std::string agent_content_name(int descriptor);

// The agent's path as the target sees it. `source`: leakspy's agent file,
// opened from leakspy's view; `own_path`: its path there; `content_name`:
// agent_content_name(source). Call inside the target's view.
std::string place_agent(int source, const std::string& own_path, const std::string& content_name);

}  // namespace leakspy::attach
