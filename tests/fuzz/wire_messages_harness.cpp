// The wire decoder's harness: messages follow each other as they do in the
// recorder's read buffer (recorder/message_stream.cpp); each payload is
// copied to a buffer of exactly its length, so that a read past it is a
// sanitizer report. The first refusal ends the stream, as it ends a recording.
#include <cstring>
#include <memory>
#include <type_traits>
#include <variant>

#include "capture/wire_decoder.h"
#include "common/error.h"
#include "tests/fuzz/fuzz_harnesses.h"

namespace leakspy::fuzz {

namespace {

// Reads every byte a decoded message points at, as the recorder would.
uint64_t touch(const wire::Message& message) {
  return std::visit(
      [](const auto& decoded) -> uint64_t {
        using T = std::decay_t<decltype(decoded)>;
        uint64_t sum = 0;
        if constexpr (std::is_same_v<T, wire::EventsMessage>) {
          for (const wire::RawEvent& event : decoded.events) sum += event.address + event.size + event.stack;
        } else if constexpr (std::is_same_v<T, wire::NodesMessage>) {
          for (const wire::WireNode& node : decoded.nodes) sum += node.frame + node.id + node.parent;
        } else if constexpr (std::is_same_v<T, wire::ModuleMessage>) {
          for (char c : decoded.path) sum += static_cast<uint8_t>(c);
          for (char c : decoded.build_id) sum += static_cast<uint8_t>(c);
          for (const capture::Segment& segment : decoded.segments) sum += segment.vaddr + segment.memsz;
        } else if constexpr (std::is_same_v<T, wire::ThreadMessage> || std::is_same_v<T, wire::HeapMessage>) {
          for (char c : decoded.name) sum += static_cast<uint8_t>(c);
        } else if constexpr (std::is_same_v<T, wire::NoteMessage>) {
          for (char c : decoded.text) sum += static_cast<uint8_t>(c);
        } else if constexpr (std::is_same_v<T, wire::PythonCodeMessage>) {
          for (char c : decoded.filename) sum += static_cast<uint8_t>(c);
          for (char c : decoded.name) sum += static_cast<uint8_t>(c);
        }
        return sum;
      },
      message);
}

}  // namespace

int fuzz_wire_messages(const uint8_t* data, size_t size) {
  wire::WireDecoder decoder;
  size_t offset = 0;
  volatile uint64_t sink = 0;
  while (size - offset >= sizeof(wire::MessageHeader)) {
    wire::MessageHeader header;
    std::memcpy(&header, data + offset, sizeof(header));
    offset += sizeof(header);
    try {
      wire::check_header(header);
      if (header.length > size - offset) return 0;  // the stream ends inside a message
      std::unique_ptr<uint8_t[]> payload(new uint8_t[header.length]);
      std::memcpy(payload.get(), data + offset, header.length);
      offset += header.length;
      sink = sink + touch(decoder.decode(header, payload.get()));
    } catch (const Error&) {
      return 0;
    }
  }
  return 0;
}

}  // namespace leakspy::fuzz
