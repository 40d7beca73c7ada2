#pragma once
// The socket the agent connects back to: an abstract unix socket
// ("@leakspy-<random>", capture/wire.h). It has no file, so no directory to
// create, hand over or chown, nothing a target's user could swap, nothing
// left behind when leakspy is killed, and it is reachable from every mount
// namespace (private /tmp, containers). Anyone in the network namespace may
// connect to it, so every connection is checked: only the expected process
// (SO_PEERCRED, translated into leakspy's pid namespace) is accepted.
// Not thread-safe.

#include <sys/types.h>

#include <string>

#include "common/unique_fd.h"

namespace leakspy::recorder {

class AgentListener {
 public:
  // Listens on a fresh name in leakspy's own network namespace. Throws Error.
  AgentListener();
  // Takes over a socket already listening on `address` (made in the
  // target's network namespace, see attach/target_view.h).
  AgentListener(UniqueFd listening, std::string address);
  AgentListener(const AgentListener&) = delete;
  AgentListener& operator=(const AgentListener&) = delete;

  // The address as the agent is given it ("@leakspy-...").
  const std::string& address() const { return address_; }

  // A fresh abstract address, and a socket listening on it in the calling
  // process's network namespace. Throws Error.
  static std::string fresh_address();
  static UniqueFd listen_on(const std::string& address);

  // Waits for process `peer` to connect; connections from any other process
  // are closed. Returns an invalid fd on timeout or when `give_up` returns
  // true (checked every 50 ms), e.g. because the target died.
  template <typename GiveUp>
  UniqueFd accept(pid_t peer, int timeout_ms, GiveUp&& give_up) {
    for (int waited = 0; waited < timeout_ms; waited += kPollMs) {
      UniqueFd connection = accept_for(peer, kPollMs);
      if (connection) return connection;
      if (give_up()) break;
    }
    return UniqueFd();
  }

  // Accepts a connection already waiting (poll fd() for one), if the process
  // that made it is `allowed`; else closes it and returns an invalid fd.
  // Sets `peer` to its pid.
  template <typename Allowed>
  UniqueFd accept_waiting(Allowed&& allowed, pid_t* peer) {
    UniqueFd connection = accept_any(0, peer);
    if (connection && !allowed(*peer)) {
      ++refused_;
      return UniqueFd();
    }
    return connection;
  }
  int fd() const { return listener_.get(); }

  // Connections refused because another process made them.
  int refused() const { return refused_; }

 private:
  static constexpr int kPollMs = 50;
  UniqueFd accept_for(pid_t peer, int timeout_ms);
  // Any connection within the timeout, and the pid that made it.
  UniqueFd accept_any(int timeout_ms, pid_t* peer);

  UniqueFd listener_;
  std::string address_;
  int refused_ = 0;
};

}  // namespace leakspy::recorder
