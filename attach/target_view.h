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
#include <memory>
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

// Opens files as the target would, for as long as it is kept: a child of
// leakspy in the target's view (as run_in_target_view's) that stays there and
// answers each path with a descriptor, opened with the target's rights and
// only if it is a regular file (common/regular_file.h: never a FIFO or a
// device). It holds the target's mount namespace and root, so their files
// stay reachable after the target exits, and keeps no descriptor of
// leakspy's but its channel (the agent's connection must end when leakspy's
// does). Only a regular file is handed back. Not thread-safe; start() forks,
// so call it while leakspy has one thread.
class TargetFileOpener {
 public:
  // Throws Error when the child cannot enter the view (the kinds of
  // run_in_target_view).
  static std::unique_ptr<TargetFileOpener> start(pid_t pid);
  ~TargetFileOpener();  // ends the child and reaps it
  TargetFileOpener(const TargetFileOpener&) = delete;
  TargetFileOpener& operator=(const TargetFileOpener&) = delete;

  // `path` as the target sees it, opened for reading (O_RDONLY | O_NONBLOCK |
  // O_CLOEXEC); an invalid descriptor, with the reason in *why, otherwise.
  UniqueFd open(const std::string& path, std::string* why);

 private:
  TargetFileOpener(UniqueFd channel, pid_t child) : channel_(std::move(channel)), child_(child) {}

  UniqueFd channel_;
  pid_t child_;
};

}  // namespace leakspy::attach
