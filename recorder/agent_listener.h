#pragma once
// The socket the agent connects back to: a unix socket in a private
// directory (mode 0700) under $TMPDIR, so no other user can connect to it or
// replace it. Removed with the object. Not thread-safe.
//
// For an attach the directory belongs to the target's user (who must be able
// to connect), and a target in a container gets it under its own root's /tmp.

#include <sys/types.h>

#include <optional>
#include <string>

#include "common/unique_fd.h"

namespace leakspy::recorder {

class AgentListener {
 public:
  struct Placement {
    std::string target_root;               // "" or /proc/PID/root when the target's root differs
    std::optional<uid_t> owner;            // the target's user, when not leakspy's
    std::optional<gid_t> group;
  };
  // Creates the directory and starts listening. Throws Error.
  AgentListener() : AgentListener(Placement{}) {}
  explicit AgentListener(const Placement& placement);
  ~AgentListener();
  AgentListener(const AgentListener&) = delete;
  AgentListener& operator=(const AgentListener&) = delete;

  const std::string& socket_path() const { return socket_path_; }
  // The socket's path as the target sees it.
  std::string target_socket_path() const { return socket_path_.substr(target_root_.size()); }
  // Waits for the agent to connect. Returns an invalid fd on timeout or when
  // `give_up` returns true (checked every 50 ms), e.g. because the target died.
  template <typename GiveUp>
  UniqueFd accept(int timeout_ms, GiveUp&& give_up) {
    for (int waited = 0; waited < timeout_ms; waited += kPollMs) {
      UniqueFd connection = accept_for(kPollMs);
      if (connection) return connection;
      if (give_up()) break;
    }
    return UniqueFd();
  }

 private:
  static constexpr int kPollMs = 50;
  UniqueFd accept_for(int timeout_ms);

  std::string target_root_;
  std::string directory_;
  std::string socket_path_;
  UniqueFd listener_;
};

}  // namespace leakspy::recorder
