#pragma once
// Starts the program of `leakspy run` with the agent preloaded and told where
// the recorder listens. Not thread-safe.

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace leakspy::recorder {

struct LaunchedTarget {
  pid_t pid = -1;
  UniqueFd pidfd;  // readable once the program has exited
};

// Forks and execs `command` (searched in PATH) with LD_PRELOAD prepended with
// `agent_path` and LEAKSPY_SOCKET set; with a `root`, chrooted there first
// (then `agent_path` and the program are paths inside it). Throws
// Error(TargetStart) with the exec error when the program cannot be started.
// With `subprocesses`, every program the process tree runs loads the agent
// and is recorded (wire::kRecordedPidVariable); without, the program and
// those it execs into.
LaunchedTarget launch_target(const std::vector<std::string>& command, const std::string& agent_path,
                             const std::string& socket_path, const sigset_t& child_signal_mask,
                             const std::string& root = "", bool subprocesses = false);

// Waits for the program; returns its wait status.
int wait_for_target(pid_t pid);
// Like wait_for_target but returns false at once if it has not exited.
bool try_wait_for_target(pid_t pid, int* status);

}  // namespace leakspy::recorder
