#pragma once
// Splits the byte stream from the agent into messages. Reads in large blocks
// (one read returns many messages). Holds at most one partial message (its
// header is checked at once, capture/wire_decoder.h) and one read. Not
// thread-safe.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "capture/wire.h"
#include "capture/wire_decoder.h"

namespace leakspy::recorder {

class MessageStream {
 public:
  explicit MessageStream(int fd) : fd_(fd), buffer_(kReadBytes * 2) {}

  // Reads what is available (call when the fd is readable). Returns false at
  // end of stream (or on a read error, which ends it too).
  bool read_available();
  // Calls handle(header, payload) for every whole message buffered.
  // Throws Error(AgentProtocol) on a header the agent cannot have sent.
  template <typename Handle>
  void drain(Handle&& handle);

 private:
  static constexpr size_t kReadBytes = 4u << 20;
  int fd_;
  std::vector<uint8_t> buffer_;
  size_t begin_ = 0;  // first unconsumed byte
  size_t end_ = 0;    // one past the last byte read
};

template <typename Handle>
void MessageStream::drain(Handle&& handle) {
  while (end_ - begin_ >= sizeof(wire::MessageHeader)) {
    wire::MessageHeader header;
    std::copy_n(buffer_.data() + begin_, sizeof(header), reinterpret_cast<uint8_t*>(&header));
    wire::check_header(header);
    if (end_ - begin_ < sizeof(header) + header.length) break;
    handle(header, buffer_.data() + begin_ + sizeof(header));
    begin_ += sizeof(header) + header.length;
  }
}

}  // namespace leakspy::recorder
