#pragma once
// Splits the byte stream from the agent into messages. Reads in large blocks
// (one read returns many messages). Not thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture/wire.h"

namespace leakspy::recorder {

class MessageStream {
 public:
  explicit MessageStream(int fd) : fd_(fd), buffer_(kReadBytes * 2) {}

  // Reads what is available (call when the fd is readable). Returns false at
  // end of stream (or on a read error, which ends it too).
  bool read_available();
  // Calls handle(type, payload, length) for every whole message buffered.
  // Throws Error(AgentFailed) on a malformed message.
  template <typename Handle>
  void drain(Handle&& handle);

 private:
  static constexpr size_t kReadBytes = 4u << 20;
  int fd_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
};

void check_message_length(uint32_t length);

template <typename Handle>
void MessageStream::drain(Handle&& handle) {
  while (end_ - begin_ >= sizeof(wire::MessageHeader)) {
    wire::MessageHeader header;
    std::copy_n(buffer_.data() + begin_, sizeof(header), reinterpret_cast<uint8_t*>(&header));
    check_message_length(header.length);
    if (end_ - begin_ < sizeof(header) + header.length) break;
    handle(static_cast<wire::MessageType>(header.type), buffer_.data() + begin_ + sizeof(header),
           static_cast<size_t>(header.length));
    begin_ += sizeof(header) + header.length;
  }
}

}  // namespace leakspy::recorder
