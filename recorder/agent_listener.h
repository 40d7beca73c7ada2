#pragma once
// The socket the agent connects back to: a unix socket in a private
// directory (mode 0700) under $TMPDIR, so no other user can connect to it or
// replace it. Removed with the object. Not thread-safe.

#include <string>

#include "common/unique_fd.h"

namespace leakspy::recorder {

class AgentListener {
 public:
  // Creates the directory and starts listening. Throws Error.
  AgentListener();
  ~AgentListener();
  AgentListener(const AgentListener&) = delete;
  AgentListener& operator=(const AgentListener&) = delete;

  const std::string& socket_path() const { return socket_path_; }
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

  std::string directory_;
  std::string socket_path_;
  UniqueFd listener_;
};

}  // namespace leakspy::recorder
