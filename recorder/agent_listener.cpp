#include "recorder/agent_listener.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

#include "common/error.h"

namespace leakspy::recorder {

AgentListener::AgentListener(const Placement& placement) : target_root_(placement.target_root) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = target_root_.empty()
                            ? std::string(tmp != nullptr && tmp[0] != '\0' ? tmp : "/tmp") + "/leakspy-XXXXXX"
                            : target_root_ + "/tmp/leakspy-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {  // mkdtemp creates it with mode 0700
    throw_errno(ErrorKind::OutputUnwritable, "cannot create a private directory for the agent socket in " +
                                                 pattern.substr(0, pattern.size() - 15) + " (set TMPDIR)");
  }
  directory_ = buffer.data();
  socket_path_ = directory_ + "/agent.sock";

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(address.sun_path)) {
    throw Error(ErrorKind::OutputUnwritable, "the socket path " + socket_path_ + " is too long: set a shorter TMPDIR");
  }
  std::strcpy(address.sun_path, socket_path_.c_str());
  listener_.reset(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener_) throw_errno(ErrorKind::Internal, "socket");
  if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    throw_errno(ErrorKind::Internal, "bind " + socket_path_);
  }
  if (::listen(listener_.get(), 1) != 0) throw_errno(ErrorKind::Internal, "listen " + socket_path_);
  if (placement.owner || placement.group) {
    uid_t owner = placement.owner.value_or(static_cast<uid_t>(-1));
    gid_t group = placement.group.value_or(static_cast<gid_t>(-1));
    if (::chown(directory_.c_str(), owner, group) != 0 || ::chown(socket_path_.c_str(), owner, group) != 0) {
      throw_errno(ErrorKind::NotPermitted, "cannot hand the agent's socket directory " + directory_ +
                                               " to the target's user (run leakspy as root or as that user)");
    }
  }
}

AgentListener::~AgentListener() {
  listener_.reset();
  ::unlink(socket_path_.c_str());
  ::rmdir(directory_.c_str());
}

UniqueFd AgentListener::accept_for(int timeout_ms) {
  pollfd ready{listener_.get(), POLLIN, 0};
  if (::poll(&ready, 1, timeout_ms) <= 0) return UniqueFd();
  UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  // Matches the agent's send buffer (agent/transport.cpp): fewer, larger reads.
  int bytes = 8 << 20;
  if (connection && setsockopt(connection.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(connection.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  return connection;
}

}  // namespace leakspy::recorder
