#include "agent/transport.h"

#include <poll.h>

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace leakspy::agent {

bool Transport::connect(const char* socket_path) {
  sockaddr_un address{};
  socklen_t length = 0;
  if (!wire::agent_socket_address(socket_path, &address, &length)) return false;
  // CLOEXEC: a program the target execs must not inherit the recorder's socket.
  fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return false;
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    close();
    return false;
  }
  // A large send buffer lets one sendmsg hand over a whole drain cycle, so the
  // writer and the recorder wake each other less. FORCE works for root beyond
  // wmem_max; otherwise the plain request is capped by the kernel.
  int bytes = kSocketBufferBytes;
  if (setsockopt(fd_, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) != 0) {
    setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
  }
  return true;
}

void Transport::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  iov_count_ = 0;
  scratch_used_ = 0;
}

void* Transport::scratch(uint32_t bytes) {
  bytes = (bytes + 15) & ~15u;
  if (scratch_used_ + bytes > kScratchBytes && !flush()) return nullptr;
  if (scratch_used_ + bytes > kScratchBytes) return nullptr;
  void* place = scratch_ + scratch_used_;
  scratch_used_ += bytes;
  return place;
}

bool Transport::add(wire::MessageType type, const iovec* parts, int part_count) {
  if (fd_ < 0) return false;
  if (iov_count_ + 1 + part_count > kMaxIovecs && !flush()) return false;
  uint32_t length = 0;
  for (int i = 0; i < part_count; ++i) length += static_cast<uint32_t>(parts[i].iov_len);
  auto* header = static_cast<wire::MessageHeader*>(scratch(sizeof(wire::MessageHeader)));
  if (header == nullptr) return false;
  *header = {static_cast<uint32_t>(type), length};
  iov_[iov_count_++] = {header, sizeof(*header)};
  for (int i = 0; i < part_count; ++i) {
    if (parts[i].iov_len > 0) iov_[iov_count_++] = parts[i];
  }
  return true;
}

bool Transport::add_copy(wire::MessageType type, const void* payload, uint32_t length) {
  if (fd_ < 0) return false;
  if (iov_count_ + 1 > kMaxIovecs && !flush()) return false;
  // One scratch allocation for header and payload: scratch() may flush, which
  // would recycle anything taken from it earlier for the same message.
  auto* header = static_cast<wire::MessageHeader*>(scratch(sizeof(wire::MessageHeader) + length));
  if (header == nullptr) return false;
  *header = {static_cast<uint32_t>(type), length};
  if (length > 0) std::memcpy(header + 1, payload, length);
  iov_[iov_count_++] = {header, sizeof(*header) + length};
  return true;
}

bool Transport::flush() {
  if (fd_ < 0) return false;
  iovec* next = iov_;
  int remaining = iov_count_;
  while (remaining > 0) {
    msghdr message{};
    message.msg_iov = next;
    message.msg_iovlen = static_cast<size_t>(remaining < 1024 ? remaining : 1024);
    // MSG_NOSIGNAL: a recorder that went away must not kill the target with SIGPIPE.
    ssize_t sent = ::sendmsg(fd_, &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EINTR) continue;
      close();
      return false;
    }
    auto left = static_cast<size_t>(sent);
    while (remaining > 0 && left >= next->iov_len) {
      left -= next->iov_len;
      ++next;
      --remaining;
    }
    if (remaining > 0) {
      next->iov_base = static_cast<uint8_t*>(next->iov_base) + left;
      next->iov_len -= left;
    }
  }
  iov_count_ = 0;
  scratch_used_ = 0;
  return true;
}

ControlMessage Transport::poll_control(ControlPayload* payload) {
  if (fd_ < 0) return ControlMessage::Closed;
  wire::MessageHeader header{};
  ssize_t n = ::recv(fd_, &header, sizeof(header), MSG_DONTWAIT);
  if (n == 0) return ControlMessage::Closed;
  if (n < 0) return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? ControlMessage::None
                                                                               : ControlMessage::Closed;
  if (n != static_cast<ssize_t>(sizeof(header))) return ControlMessage::Closed;  // the recorder sends whole headers
  // A payload follows its header in the same write: wait for it briefly.
  auto receive = [&](void* into, size_t bytes) {
    return ::recv(fd_, into, bytes, MSG_WAITALL) == static_cast<ssize_t>(bytes);
  };
  if (header.type == static_cast<uint32_t>(wire::MessageType::Stop)) return ControlMessage::Stop;
  if (header.type == static_cast<uint32_t>(wire::MessageType::Configure) &&
      header.length == sizeof(payload->configuration)) {
    return receive(&payload->configuration, sizeof(payload->configuration)) ? ControlMessage::Configure
                                                                            : ControlMessage::Closed;
  }
  if (header.type == static_cast<uint32_t>(wire::MessageType::KeptByQuery) &&
      header.length >= sizeof(wire::WireKeptByQuery)) {
    wire::WireKeptByQuery query{};
    if (!receive(&query, sizeof(query))) return ControlMessage::Closed;
    if (query.count > wire::kMaxKeptBySamples ||
        header.length != sizeof(query) + query.count * sizeof(wire::WireKeptBySample)) {
      return ControlMessage::Closed;
    }
    payload->sample_count = query.count;
    return receive(payload->samples, query.count * sizeof(wire::WireKeptBySample)) ? ControlMessage::KeptByQuery
                                                                                   : ControlMessage::Closed;
  }
  return ControlMessage::None;
}

ControlMessage Transport::wait_control(ControlPayload* payload, int timeout_ms) {
  if (fd_ < 0) return ControlMessage::Closed;
  pollfd readable{fd_, POLLIN, 0};
  if (::poll(&readable, 1, timeout_ms) <= 0) return ControlMessage::None;
  return poll_control(payload);
}

}  // namespace leakspy::agent
