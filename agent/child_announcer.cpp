#include "agent/child_announcer.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "capture/wire.h"
#include "common/clock.h"

namespace leakspy::agent {

namespace {

constinit char recorder_address[108] = {};

}  // namespace

void remember_recorder_address(const char* address) {
  std::strncpy(recorder_address, address, sizeof(recorder_address) - 1);
}

const char* remembered_recorder_address() { return recorder_address; }

void announce_unrecorded_child(bool forked) {
  if (recorder_address[0] == '\0') return;
  sockaddr_un address{};
  socklen_t length = 0;
  if (!wire::agent_socket_address(recorder_address, &address, &length)) return;
  int fd = static_cast<int>(syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd < 0) return;
  if (syscall(SYS_connect, fd, reinterpret_cast<sockaddr*>(&address), length) == 0) {
    struct {
      wire::MessageHeader header;
      wire::Hello hello;
    } message{{static_cast<uint32_t>(wire::MessageType::Hello), sizeof(wire::Hello)},
              {wire::kWireVersion, static_cast<uint32_t>(syscall(SYS_getpid)),
               clock_ns(),
               wire::kHelloNotRecorded | (forked ? wire::kHelloForked : 0u), 0}};
    ssize_t ignored = syscall(SYS_sendto, fd, &message, sizeof(message), MSG_NOSIGNAL, nullptr, 0);
    (void)ignored;
  }
  syscall(SYS_close, fd);
}

}  // namespace leakspy::agent
