#pragma once
// Work done as a target sees the system. Root must never follow a path the
// target controls: a container's /tmp may be a symlink to a host directory,
// and absolute links there resolve against the host's root. So leakspy does
// such work in a child process that entered the target's mount namespace,
// its root (chroot) and its network namespace, and took its user and groups:
// every path then resolves as the target's would, with no more rights than
// the target has. Only root can enter another's view; for anyone else the
// child keeps leakspy's own (a non-root leakspy records its own processes,
// which share it, or could not attach anyway).
// Offline side; forks, so call it before leakspy starts any thread.

#include <sys/types.h>

#include <functional>
#include <string>

#include "common/unique_fd.h"

namespace leakspy::attach {

struct ViewResult {
  UniqueFd descriptor;  // optional: handed back over a socket (SCM_RIGHTS)
  std::string text;
};

// Runs `work` in such a child of leakspy and returns what it returned. An
// Error that `work` throws is thrown here, with its kind. Descriptors open in
// leakspy (O_CLOEXEC or not) are open in the child too: open what work needs
// from leakspy's view before calling. Throws Error.
ViewResult run_in_target_view(pid_t pid, const std::function<ViewResult()>& work);

// The same for a program not started yet, that `leakspy run --root` will
// start chrooted into `root`: the child chroots there, as leakspy's user.
ViewResult run_in_root(const std::string& root, const std::function<ViewResult()>& work);

}  // namespace leakspy::attach
