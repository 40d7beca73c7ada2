#pragma once
// The recorder's one reader of the agent's messages (capture/wire.h). The
// agent runs inside a process whose user controls it, so every byte is
// untrusted: decode() checks every field of a message - its type and length,
// counts against the payload, kinds, heap ids, node and thread ids, string
// lengths against the agent's limits, reserved fields - before anything else
// sees it, and hands out typed values only. A message that breaks a rule is
// refused whole with a protocol error, so the recording ends just before it.
// Payloads sit at any offset of the read buffer: they are read with memcpy.
//
// Not thread-safe. Allocates: arrays are copied into buffers that are reused
// from message to message. What a decoded message points at (spans, string
// views) is valid until the next decode() and while the payload is unchanged.
// Throws Error(AgentProtocol); a Hello of another protocol version throws
// Error(AgentFailed), naming both versions.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "capture/records.h"
#include "capture/wire.h"

namespace leakspy::wire {

// Throws Error(AgentProtocol) with "the agent broke the wire protocol: <what>".
// Every check of what the agent sends ends here, stateful ones included.
[[noreturn]] void protocol_error(const std::string& what);

struct HelloMessage {
  uint32_t pid = 0;
  uint64_t monotonic_ns = 0;
  bool attached = false;  // kHelloAttached
  uint32_t ring_capacity = 0;
  bool not_recorded = false;  // kHelloNotRecorded: nothing follows
  bool forked = false;        // kHelloForked
};
// Events of one thread in ring order. Each is an epoch mark (an epoch above 0
// and below UINT64_MAX) or an event of a capture::EventKind, on a heap below
// capture::kMaxHeaps, with a stack that is not UINT32_MAX.
struct EventsMessage {
  uint32_t thread_index = 0;
  std::span<const RawEvent> events;
};
// Trace tree edges: parent < id < UINT32_MAX (parent 0 is the root), so no
// edges make a cycle.
struct NodesMessage {
  std::span<const WireNode> nodes;
};
struct ThreadMessage {
  uint32_t index = 0;
  uint32_t tid = 0;
  std::string_view name;
};
struct ThreadEndMessage {
  uint32_t index = 0;
};
struct ModuleMessage {
  uint32_t id = 0;
  std::string_view path;
  std::string_view build_id;  // raw bytes
  uint64_t load_bias = 0;
  std::span<const capture::Segment> segments;
};
struct ModuleUnloadMessage {
  uint32_t id = 0;
};
struct EpochMessage {
  uint64_t epoch = 0;
  uint64_t monotonic_ns = 0;
};
struct SealMessage {
  uint64_t epoch = 0;
};
struct DropsMessage {
  uint32_t thread_index = 0;  // 0: events that had no ring
  uint64_t total = 0;
};
struct GoodbyeMessage {
  GoodbyeReason reason = GoodbyeReason::StopRequested;
  uint64_t stacks_lost = 0;
};
struct HeapMessage {
  HeapId id;
  std::string_view name;
  uint64_t flags = 0;  // capture::kHeapFlagRanges or 0
};
struct PythonCodeMessage {
  uint32_t id = 0;
  uint32_t first_line = 0;
  std::string_view filename;
  std::string_view name;
};
struct NoteMessage {
  capture::NoteSeverity severity = capture::NoteSeverity::Info;
  std::string_view text;
};

using AllocatorStatsMessage = capture::AllocatorRecord;
struct KeptByAnswer {
  uint32_t tag = 0;
  uint64_t holder = 0;  // 0: none
  uint64_t items = 0;   // 0: none
  std::string_view chain;
};
struct KeptByMessage {
  std::vector<KeptByAnswer> answers;
};
struct PythonTypesMessage {
  uint32_t census_us = 0;
  std::vector<std::pair<std::string_view, uint64_t>> types;  // name (a view into the payload), live objects
};

using Message = std::variant<HelloMessage, EventsMessage, NodesMessage, ThreadMessage, ThreadEndMessage, ModuleMessage,
                             ModuleUnloadMessage, EpochMessage, SealMessage, DropsMessage, GoodbyeMessage, HeapMessage,
                             PythonCodeMessage, NoteMessage, AllocatorStatsMessage, PythonTypesMessage,
                             KeptByMessage>;

// Checks a header as soon as it is read, before its payload is waited for:
// a type the agent sends and a length within kMaxMessageBytes.
void check_header(const MessageHeader& header);

class WireDecoder {
 public:
  // `payload` holds header.length bytes; check_header(header) has passed.
  Message decode(const MessageHeader& header, const uint8_t* payload);

 private:
  EventsMessage decode_events(const uint8_t* payload, size_t length);
  NodesMessage decode_nodes(const uint8_t* payload, size_t length);
  ThreadMessage decode_thread(const uint8_t* payload, size_t length);
  ModuleMessage decode_module(const uint8_t* payload, size_t length);
  PythonTypesMessage decode_python_types(const uint8_t* payload, size_t length);
  KeptByMessage decode_kept_by(const uint8_t* payload, size_t length);

  std::vector<RawEvent> events_;
  std::vector<WireNode> nodes_;
  std::vector<capture::Segment> segments_;
  WireThread thread_{};  // the name is viewed from here
};

}  // namespace leakspy::wire
