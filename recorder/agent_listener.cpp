#include "recorder/agent_listener.h"

#include <poll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstdio>

#include "capture/wire.h"
#include "common/error.h"

namespace leakspy::recorder {

AgentListener::AgentListener() : address_(fresh_address()) { listener_ = listen_on(address_); }

AgentListener::AgentListener(UniqueFd listening, std::string address)
    : listener_(std::move(listening)), address_(std::move(address)) {}

std::string AgentListener::fresh_address() {
  uint64_t random = 0;
  if (getrandom(&random, sizeof(random), 0) != static_cast<ssize_t>(sizeof(random))) {
    throw_errno(ErrorKind::Internal, "getrandom");
  }
  char text[40];
  std::snprintf(text, sizeof(text), "@leakspy-%016llx", static_cast<unsigned long long>(random));
  return text;
}

UniqueFd AgentListener::listen_on(const std::string& address) {
  sockaddr_un name{};
  socklen_t length = 0;
  if (!wire::agent_socket_address(address.c_str(), &name, &length)) {
    throw Error(ErrorKind::Internal, "the socket address " + address + " is too long");
  }
  UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener) throw_errno(ErrorKind::Internal, "socket");
  if (::bind(listener.get(), reinterpret_cast<sockaddr*>(&name), length) != 0) {
    throw_errno(ErrorKind::Internal, "bind " + address);
  }
  if (::listen(listener.get(), 8) != 0) throw_errno(ErrorKind::Internal, "listen " + address);
  return listener;
}

UniqueFd AgentListener::accept_any(int timeout_ms, pid_t* peer) {
  pollfd ready{listener_.get(), POLLIN, 0};
  if (::poll(&ready, 1, timeout_ms) <= 0) return UniqueFd();
  UniqueFd connection(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!connection) return UniqueFd();
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(connection.get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 || credentials.pid <= 0) {
    ++refused_;
    return UniqueFd();
  }
  *peer = credentials.pid;
  // Matches the agent's send buffer (agent/transport.cpp): fewer, larger reads.
  int bytes = 8 << 20;
  if (setsockopt(connection.get(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(connection.get(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
  }
  return connection;
}

UniqueFd AgentListener::accept_for(pid_t peer, int timeout_ms) {
  pid_t made_by = 0;
  UniqueFd connection = accept_any(timeout_ms, &made_by);
  if (connection && made_by != peer) {
    ++refused_;
    return UniqueFd();
  }
  return connection;
}

}  // namespace leakspy::recorder
