#include "capture/wire_decoder.h"

#include <cstring>
#include <set>

#include "capture/format.h"
#include "common/error.h"

namespace leakspy::wire {

namespace {

std::string text(uint64_t value) { return std::to_string(value); }

// A fixed-size message: exactly its struct, copied out of the payload.
template <typename T>
T read_exact(const uint8_t* payload, size_t length, const char* what) {
  if (length != sizeof(T)) {
    protocol_error(std::string("a ") + what + " message of " + text(length) + " bytes (it has " + text(sizeof(T)) + ")");
  }
  T value;
  std::memcpy(&value, payload, sizeof(T));
  return value;
}

// The fixed part of a message that has more after it.
template <typename T>
T read_prefix(const uint8_t* payload, size_t length, const char* what) {
  if (length < sizeof(T)) {
    protocol_error(std::string("a ") + what + " message of " + text(length) + " bytes (its header alone has " +
                   text(sizeof(T)) + ")");
  }
  T value;
  std::memcpy(&value, payload, sizeof(T));
  return value;
}

// Counts and lengths are checked in 64 bits: u32 fields times element sizes
// cannot overflow there.
void check_total(const char* what, size_t length, uint64_t expected) {
  if (length != expected) {
    protocol_error(std::string("a ") + what + " message of " + text(length) + " bytes whose counts add up to " +
                   text(expected));
  }
}

void check_reserved(const char* what, uint64_t reserved) {
  if (reserved != 0) protocol_error(std::string("a ") + what + " message with reserved bits set");
}

void check_limit(const char* what, uint64_t value, uint64_t limit) {
  if (value > limit) protocol_error(std::string(what) + " of " + text(value) + " (at most " + text(limit) + ")");
}

// Thread indices start at 1; UINT32_MAX is never one (the recorder uses it as
// "no thread yet").
void check_thread_index(const char* what, uint32_t index) {
  if (index == 0 || index == UINT32_MAX) protocol_error(std::string(what) + " for thread index " + text(index));
}

std::string_view view(const uint8_t* bytes, size_t length) {
  return {reinterpret_cast<const char*>(bytes), length};
}

void check_event(uint32_t thread, size_t index, const RawEvent& event) {
  auto where = [&] { return "event " + text(index) + " of thread " + text(thread); };
  if (event.kind == kEpochMark) {
    // Only the epoch: a mark's other fields are what its ring slot held before.
    if (event.address == 0 || event.address == UINT64_MAX) protocol_error(where() + " marks epoch " + text(event.address));
    return;
  }
  if (event.kind == kExitMark) {
    if (event.size > static_cast<uint64_t>(capture::ExitCause::PythonFinalization)) {
      protocol_error(where() + " marks an exit of cause " + text(event.size));
    }
    if (event.address != 0 || event.stack != 0 || event.heap != 0 || event.reserved != 0) {
      protocol_error(where() + " is an exit mark with fields set");
    }
    return;
  }
  if (event.kind > static_cast<uint8_t>(capture::EventKind::ReallocIn)) {
    protocol_error(where() + " has kind " + text(event.kind));
  }
  if (event.heap >= capture::kMaxHeaps) protocol_error(where() + " is on heap " + text(event.heap));
  if (event.reserved != 0) protocol_error(where() + " has reserved bits set");
  if (capture::event_has_stack(static_cast<capture::EventKind>(event.kind)) && event.stack == UINT32_MAX) {
    protocol_error(where() + " has stack " + text(event.stack));
  }
}

}  // namespace

void protocol_error(const std::string& what) {
  throw Error(ErrorKind::AgentProtocol, "the agent broke the wire protocol: " + what);
}

void check_header(const MessageHeader& header) {
  bool from_agent = header.type >= static_cast<uint32_t>(MessageType::Hello) &&
                    header.type <= static_cast<uint32_t>(MessageType::KeptBy);
  if (!from_agent) protocol_error("a message of type " + text(header.type));
  check_limit("a message", header.length, kMaxMessageBytes);
}

Message WireDecoder::decode(const MessageHeader& header, const uint8_t* payload) {
  size_t length = header.length;
  switch (static_cast<MessageType>(header.type)) {
    case MessageType::Hello: {
      // The version first: another version may have another Hello.
      uint32_t version = read_prefix<uint32_t>(payload, length, "hello");
      if (version != kWireVersion) {
        throw Error(ErrorKind::AgentFailed, "the agent speaks protocol version " + text(version) +
                                                ", this leakspy version " + text(kWireVersion) +
                                                ": the agent library and the leakspy binary come from different builds");
      }
      auto hello = read_exact<Hello>(payload, length, "hello");
      if ((hello.flags & ~(kHelloAttached | kHelloNotRecorded | kHelloForked)) != 0) {
        protocol_error("hello flags " + text(hello.flags));
      }
      // An unrecorded child's hello is all it sends: it has no rings.
      if (hello.ring_capacity == 0 && (hello.flags & kHelloNotRecorded) == 0) {
        protocol_error("a hello with rings of 0 events");
      }
      return HelloMessage{hello.pid, hello.monotonic_ns, (hello.flags & kHelloAttached) != 0, hello.ring_capacity,
                          (hello.flags & kHelloNotRecorded) != 0, (hello.flags & kHelloForked) != 0};
    }
    case MessageType::Events: return decode_events(payload, length);
    case MessageType::Nodes: return decode_nodes(payload, length);
    case MessageType::Thread: return decode_thread(payload, length);
    case MessageType::ThreadEnd: {
      auto end = read_exact<WireThreadEnd>(payload, length, "thread end");
      check_reserved("thread end", end.reserved);
      check_thread_index("a thread end", end.index);
      return ThreadEndMessage{end.index};
    }
    case MessageType::Module: return decode_module(payload, length);
    case MessageType::ModuleUnload: {
      auto unload = read_exact<WireModuleUnload>(payload, length, "module unload");
      check_reserved("module unload", unload.reserved);
      if (unload.id == 0) protocol_error("an unload of module 0");
      return ModuleUnloadMessage{unload.id};
    }
    case MessageType::Epoch: {
      auto epoch = read_exact<WireEpoch>(payload, length, "epoch");
      if (epoch.epoch == 0 || epoch.epoch == UINT64_MAX) protocol_error("epoch " + text(epoch.epoch) + " began");
      return EpochMessage{epoch.epoch, epoch.monotonic_ns};
    }
    case MessageType::Seal: return SealMessage{read_exact<WireSeal>(payload, length, "seal").epoch};
    case MessageType::Drops: {
      auto drops = read_exact<WireDrops>(payload, length, "drops");
      check_reserved("drops", drops.reserved);
      if (drops.thread_index == UINT32_MAX) protocol_error("drops for thread index " + text(drops.thread_index));
      return DropsMessage{drops.thread_index, drops.total};
    }
    case MessageType::Goodbye: {
      auto goodbye = read_exact<WireGoodbye>(payload, length, "goodbye");
      check_reserved("goodbye", goodbye.reserved);
      if (goodbye.reason < static_cast<uint32_t>(GoodbyeReason::StopRequested) ||
          goodbye.reason > static_cast<uint32_t>(GoodbyeReason::Failure)) {
        protocol_error("goodbye reason " + text(goodbye.reason));
      }
      return GoodbyeMessage{static_cast<GoodbyeReason>(goodbye.reason), goodbye.stacks_lost};
    }
    case MessageType::Heap: {
      auto heap = read_prefix<WireHeap>(payload, length, "heap");
      if (heap.id < kFirstDeclaredHeap || heap.id >= capture::kMaxHeaps) protocol_error("heap id " + text(heap.id));
      check_limit("a heap name", heap.name_length, kMaxHeapNameBytes);
      check_total("heap", length, sizeof(heap) + uint64_t{heap.name_length});
      if ((heap.flags & ~capture::kHeapFlagRanges) != 0) protocol_error("heap flags " + text(heap.flags));
      return HeapMessage{HeapId(heap.id), view(payload + sizeof(heap), heap.name_length), heap.flags};
    }
    case MessageType::PythonCode: {
      auto code = read_prefix<WirePythonCode>(payload, length, "python code");
      check_reserved("python code", code.reserved);
      if (code.id == 0 || code.id > 0x7fffffff) protocol_error("python code id " + text(code.id));
      check_limit("a python file name", code.filename_length, kMaxPythonFilenameBytes);
      check_limit("a python function name", code.name_length, kMaxPythonNameBytes);
      check_total("python code", length, sizeof(code) + uint64_t{code.filename_length} + code.name_length);
      const uint8_t* strings = payload + sizeof(code);
      return PythonCodeMessage{code.id, code.first_line, view(strings, code.filename_length),
                               view(strings + code.filename_length, code.name_length)};
    }
    case MessageType::Note: {
      auto note = read_prefix<WireNote>(payload, length, "note");
      if (note.severity > static_cast<uint32_t>(capture::NoteSeverity::Warning)) {
        protocol_error("note severity " + text(note.severity));
      }
      check_limit("a note", note.length, kMaxNoteBytes);
      check_total("note", length, sizeof(note) + uint64_t{note.length});
      return NoteMessage{static_cast<capture::NoteSeverity>(note.severity), view(payload + sizeof(note), note.length)};
    }
    case MessageType::AllocatorStats: {
      auto stats = read_exact<WireAllocatorStats>(payload, length, "allocator stats");
      check_reserved("allocator stats", stats.reserved);
      if (stats.kind < static_cast<uint32_t>(capture::AllocatorKind::GlibcMallinfo2) ||
          stats.kind > static_cast<uint32_t>(capture::AllocatorKind::GlibcMallinfo)) {
        protocol_error("allocator kind " + text(stats.kind));
      }
      return AllocatorStatsMessage{static_cast<capture::AllocatorKind>(stats.kind), stats.heap_bytes,
                                   stats.in_use_bytes, stats.free_bytes, stats.mmapped_bytes, stats.releasable_bytes};
    }
    case MessageType::PythonTypes: return decode_python_types(payload, length);
    case MessageType::KeptBy: return decode_kept_by(payload, length);
    case MessageType::Stop:
    case MessageType::Configure:
    case MessageType::KeptByQuery: break;
  }
  protocol_error("a message of type " + text(header.type));  // check_header refuses these first
}

EventsMessage WireDecoder::decode_events(const uint8_t* payload, size_t length) {
  auto header = read_prefix<EventsHeader>(payload, length, "events");
  check_total("events", length, sizeof(header) + uint64_t{header.count} * sizeof(RawEvent));
  check_thread_index("events", header.thread_index);
  // One copy into aligned memory, then every event is checked there.
  if (events_.size() < header.count) events_.resize(header.count);
  if (header.count > 0) std::memcpy(events_.data(), payload + sizeof(header), header.count * sizeof(RawEvent));
  std::span<const RawEvent> events(events_.data(), header.count);
  for (size_t i = 0; i < events.size(); ++i) check_event(header.thread_index, i, events[i]);
  return EventsMessage{header.thread_index, events};
}

NodesMessage WireDecoder::decode_nodes(const uint8_t* payload, size_t length) {
  auto header = read_prefix<NodesHeader>(payload, length, "nodes");
  check_reserved("nodes", header.reserved);
  check_total("nodes", length, sizeof(header) + uint64_t{header.count} * sizeof(WireNode));
  if (nodes_.size() < header.count) nodes_.resize(header.count);
  if (header.count > 0) std::memcpy(nodes_.data(), payload + sizeof(header), header.count * sizeof(WireNode));
  std::span<const WireNode> nodes(nodes_.data(), header.count);
  for (const WireNode& node : nodes) {
    // The agent hands ids out in order and a parent exists before its child:
    // parent < id rules out cycles, 0 is the root, UINT32_MAX no id at all.
    if (node.id == 0 || node.id == UINT32_MAX || node.parent >= node.id) {
      protocol_error("trace node " + text(node.id) + " with parent " + text(node.parent));
    }
  }
  return NodesMessage{nodes};
}

ThreadMessage WireDecoder::decode_thread(const uint8_t* payload, size_t length) {
  thread_ = read_exact<WireThread>(payload, length, "thread");
  check_thread_index("a thread message", thread_.index);
  return ThreadMessage{thread_.index, thread_.tid, std::string_view(thread_.name, strnlen(thread_.name, sizeof(thread_.name)))};
}

ModuleMessage WireDecoder::decode_module(const uint8_t* payload, size_t length) {
  auto module = read_prefix<WireModule>(payload, length, "module");
  if (module.id == 0) protocol_error("module id 0");
  check_limit("a module path", module.path_length, kMaxModulePathBytes);
  check_limit("a build-id", module.build_id_length, kMaxBuildIdBytes);
  check_limit("a module's segment count", module.segment_count, kMaxModuleSegments);
  check_total("module", length,
              sizeof(module) + uint64_t{module.path_length} + module.build_id_length +
                  uint64_t{module.segment_count} * sizeof(WireSegment));
  const uint8_t* path = payload + sizeof(module);
  const uint8_t* build_id = path + module.path_length;
  const uint8_t* segments = build_id + module.build_id_length;
  segments_.clear();
  for (uint32_t i = 0; i < module.segment_count; ++i) {
    WireSegment segment;
    std::memcpy(&segment, segments + i * sizeof(segment), sizeof(segment));
    check_reserved("module segment", segment.reserved);
    // p_flags may carry OS- and processor-specific bits; the capture keeps R, W and X.
    segments_.push_back({segment.vaddr, segment.memsz, static_cast<uint8_t>(segment.flags & 7u)});
  }
  return ModuleMessage{module.id, view(path, module.path_length), view(build_id, module.build_id_length),
                       module.load_bias, segments_};
}

PythonTypesMessage WireDecoder::decode_python_types(const uint8_t* payload, size_t length) {
  auto header = read_prefix<WirePythonTypes>(payload, length, "python types");
  check_limit("a python type census", header.length, kMaxPythonTypesBytes);
  check_total("python types", length, sizeof(header) + uint64_t{header.length});
  PythonTypesMessage message;
  message.census_us = header.census_us;
  std::string_view text(reinterpret_cast<const char*>(payload + sizeof(header)), header.length);
  std::set<std::string_view> names;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space > 15) protocol_error("a python type census line");
    uint64_t count = 0;
    for (char digit : line.substr(0, space)) {
      if (digit < '0' || digit > '9') protocol_error("a python type census count");
      count = count * 10 + static_cast<uint64_t>(digit - '0');
    }
    std::string_view name = line.substr(space + 1);
    check_limit("a python type name", name.size(), kMaxPythonTypeNameBytes);
    if (name.empty()) protocol_error("an empty python type name");
    for (char c : name) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) protocol_error("a control character in a python type name");
    }
    if (!names.insert(name).second) protocol_error("python type " + std::string(name) + " counted twice");
    message.types.emplace_back(name, count);
  }
  return message;
}

KeptByMessage WireDecoder::decode_kept_by(const uint8_t* payload, size_t length) {
  auto header = read_prefix<WireKeptBy>(payload, length, "kept-by answer");
  check_reserved("kept-by answer", header.reserved);
  check_limit("a kept-by answer", header.length, kMaxKeptByBytes);
  check_total("kept-by answer", length, sizeof(header) + uint64_t{header.length});
  std::string_view text(reinterpret_cast<const char*>(payload + sizeof(header)), header.length);
  KeptByMessage message;
  // One field up to a tab: the hex or decimal number it holds.
  auto number = [](std::string_view& line, int base) {
    size_t tab = line.find('\t');
    if (tab == 0 || tab == std::string_view::npos || tab > 16) protocol_error("a kept-by line");
    uint64_t value = 0;
    for (char c : line.substr(0, tab)) {
      int digit = c >= '0' && c <= '9' ? c - '0' : (base == 16 && c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
      if (digit < 0) protocol_error("a kept-by number");
      value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
    }
    line.remove_prefix(tab + 1);
    return value;
  };
  std::set<uint64_t> tags;
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    KeptByAnswer answer;
    uint64_t tag = number(line, 10);
    if (tag >= kMaxKeptBySamples) protocol_error("kept-by tag " + std::to_string(tag));
    if (!tags.insert(tag).second) protocol_error("kept-by tag " + std::to_string(tag) + " answered twice");
    answer.tag = static_cast<uint32_t>(tag);
    answer.holder = number(line, 16);
    answer.items = number(line, 16);
    check_limit("a kept-by chain", line.size(), kMaxKeptByChainBytes);
    if (line.empty()) protocol_error("an empty kept-by chain");
    for (char c : line) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) protocol_error("a control character in a kept-by chain");
    }
    answer.chain = line;
    message.answers.push_back(answer);
  }
  return message;
}

}  // namespace leakspy::wire
