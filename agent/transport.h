#pragma once
// The agent's end of the socket to the recorder. Used by the writer thread only.
// Messages are gathered as iovecs and sent with one sendmsg per batch; the
// bytes they point at (ring entries, headers in the scratch area) must stay
// untouched until flush() returns.

#include <sys/uio.h>

#include <cstdint>

#include "capture/wire.h"

namespace leakspy::agent {

enum class ControlMessage { None, Stop, Closed, Configure, KeptByQuery };

// What a message from the recorder carries.
struct ControlPayload {
  wire::WireConfigure configuration{};                     // Configure
  uint32_t sample_count = 0;                               // KeptByQuery
  wire::WireKeptBySample samples[wire::kMaxKeptBySamples]{};
};

class Transport {
 public:
  [[nodiscard]] bool connect(const char* socket_path);
  void close();
  bool connected() const { return fd_ >= 0; }

  // Queues a message whose payload is `parts`. False if the connection is
  // gone. Payload bytes are referenced, not copied, and must not live in the
  // scratch area.
  bool add(wire::MessageType type, const iovec* parts, int part_count);
  // Queues a message whose small payload is copied into the scratch area.
  bool add_copy(wire::MessageType type, const void* payload, uint32_t length);
  // Sends everything queued. False if the connection is gone.
  bool flush();
  // Looks for a message from the recorder without blocking; *payload
  // receives what a Configure or a KeptByQuery carries.
  ControlMessage poll_control(ControlPayload* payload);
  // Like poll_control, waiting up to `timeout_ms` for a message to come.
  ControlMessage wait_control(ControlPayload* payload, int timeout_ms);

 private:
  void* scratch(uint32_t bytes);

  static constexpr int kMaxIovecs = 512;
  static constexpr int kSocketBufferBytes = 8 << 20;
  static constexpr uint32_t kScratchBytes = 64 * 1024;

  int fd_ = -1;
  iovec iov_[kMaxIovecs] = {};
  int iov_count_ = 0;
  alignas(16) uint8_t scratch_[kScratchBytes] = {};
  uint32_t scratch_used_ = 0;
};

}  // namespace leakspy::agent
