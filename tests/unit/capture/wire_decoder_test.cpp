// The wire decoder on messages built byte by byte, as the agent sends them
// and as a hostile target could: every field is checked before anything
// else sees it (issue 14, finding 3).
#include "capture/wire_decoder.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "capture/format.h"
#include "common/error.h"

namespace leakspy::wire {
namespace {

using capture::EventKind;

// A message's payload, built from structs and bytes, placed at an odd offset
// of its buffer: messages follow each other in the recorder's read buffer
// with no alignment.
class Payload {
 public:
  template <typename T>
  Payload& add(const T& value) {
    const auto* bytes = reinterpret_cast<const uint8_t*>(&value);
    bytes_.insert(bytes_.end(), bytes, bytes + sizeof(T));
    return *this;
  }
  Payload& add_text(const std::string& text) {
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  Payload& truncate(size_t length) {
    bytes_.resize(length);
    return *this;
  }
  Message decode(WireDecoder& decoder, MessageType type) {
    buffer_.assign(3, 0xEE);
    buffer_.insert(buffer_.end(), bytes_.begin(), bytes_.end());
    MessageHeader header{static_cast<uint32_t>(type), static_cast<uint32_t>(bytes_.size())};
    check_header(header);
    return decoder.decode(header, buffer_.data() + 3);
  }

 private:
  std::vector<uint8_t> bytes_;
  std::vector<uint8_t> buffer_;
};

RawEvent event(EventKind kind, uint64_t address, uint64_t size = 16, uint32_t stack = 1, uint8_t heap = 0) {
  return {address, size, stack, static_cast<uint8_t>(kind), heap, 0};
}
RawEvent mark(uint64_t epoch) {
  // A mark's other fields are whatever the ring slot held: not checked.
  return {epoch, 0xdeadbeef, UINT32_MAX, kEpochMark, 0xFF, 0xFFFF};
}
Payload events(uint32_t thread, const std::vector<RawEvent>& list) {
  Payload payload;
  payload.add(EventsHeader{thread, static_cast<uint32_t>(list.size())});
  for (const RawEvent& e : list) payload.add(e);
  return payload;
}

// Decoding must fail with a protocol error whose text contains `expected`.
void expect_protocol_error(Payload payload, MessageType type, const std::string& expected) {
  WireDecoder decoder;
  try {
    payload.decode(decoder, type);
    ADD_FAILURE() << "accepted; expected an error about: " << expected;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::AgentProtocol) << error.what();
    EXPECT_NE(std::string(error.what()).find("wire protocol"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find(expected), std::string::npos) << error.what();
  }
}

TEST(WireDecoder, AcceptsWhatTheAgentSends) {
  WireDecoder decoder;
  Hello hello{kWireVersion, 42, 1000, kHelloAttached, 32768};
  auto decoded_hello = std::get<HelloMessage>(Payload().add(hello).decode(decoder, MessageType::Hello));
  EXPECT_EQ(decoded_hello.pid, 42u);
  EXPECT_TRUE(decoded_hello.attached);

  std::vector<RawEvent> list = {mark(7), event(EventKind::Alloc, 0x1000, 24, 5, 3), event(EventKind::Free, 0x1000),
                                event(EventKind::FreeRange, 0x7f0000000000, UINT64_MAX, 0, 1),
                                event(EventKind::ReallocIn, 0x2000, 8, 0, 127)};
  auto decoded_events = std::get<EventsMessage>(events(9, list).decode(decoder, MessageType::Events));
  EXPECT_EQ(decoded_events.thread_index, 9u);
  ASSERT_EQ(decoded_events.events.size(), list.size());
  EXPECT_EQ(decoded_events.events[1].address, 0x1000u);
  EXPECT_EQ(decoded_events.events[4].heap, 127);

  Payload nodes;
  nodes.add(NodesHeader{3, 0}).add(WireNode{0x401000, 1, 0}).add(WireNode{0x402000, 2, 1}).add(WireNode{0x1, 9, 2});
  auto decoded_nodes = std::get<NodesMessage>(nodes.decode(decoder, MessageType::Nodes));
  ASSERT_EQ(decoded_nodes.nodes.size(), 3u);
  EXPECT_EQ(decoded_nodes.nodes[2].parent, 2u);

  WireThread thread{4, 1234, {}};
  std::memcpy(thread.name, "worker-1", 8);
  auto decoded_thread = std::get<ThreadMessage>(Payload().add(thread).decode(decoder, MessageType::Thread));
  EXPECT_EQ(decoded_thread.name, "worker-1");

  Payload module;
  module.add(WireModule{3, 8, 4, 2, 0x555500000000}).add_text("/bin/app").add_text("\x01\x02\x03\x04");
  module.add(WireSegment{0, 0x1000, 5, 0}).add(WireSegment{0x2000, 0x500, 6 | 0x00100000, 0});  // an OS-specific flag
  auto decoded_module = std::get<ModuleMessage>(module.decode(decoder, MessageType::Module));
  EXPECT_EQ(decoded_module.path, "/bin/app");
  EXPECT_EQ(decoded_module.build_id, "\x01\x02\x03\x04");
  ASSERT_EQ(decoded_module.segments.size(), 2u);
  EXPECT_EQ(decoded_module.segments[1].flags, 6);

  Payload heap;
  heap.add(WireHeap{2, 6, capture::kHeapFlagRanges}).add_text("python");
  auto decoded_heap = std::get<HeapMessage>(heap.decode(decoder, MessageType::Heap));
  EXPECT_EQ(decoded_heap.id, HeapId(2));
  EXPECT_EQ(decoded_heap.name, "python");

  Payload code;
  code.add(WirePythonCode{5, 10, 6, 4, 0}).add_text("app.pyleak");
  auto decoded_code = std::get<PythonCodeMessage>(code.decode(decoder, MessageType::PythonCode));
  EXPECT_EQ(decoded_code.filename, "app.py");
  EXPECT_EQ(decoded_code.name, "leak");

  Payload note;
  note.add(WireNote{1, 5}).add_text("hello");
  EXPECT_EQ(std::get<NoteMessage>(note.decode(decoder, MessageType::Note)).text, "hello");

  auto stats = std::get<AllocatorStatsMessage>(
      Payload().add(WireAllocatorStats{2, 0, 1, 2, 3, 4, 5}).decode(decoder, MessageType::AllocatorStats));
  EXPECT_EQ(stats, (capture::AllocatorRecord{capture::AllocatorKind::GlibcMallinfo, 1, 2, 3, 4, 5}));

  Payload census;
  census.add(WirePythonTypes{29, 900}).add_text("120 dict\n7 app.models.Session");
  auto types = std::get<PythonTypesMessage>(census.decode(decoder, MessageType::PythonTypes));
  EXPECT_EQ(types.census_us, 900u);
  ASSERT_EQ(types.types.size(), 2u);
  EXPECT_EQ(types.types[0], (std::pair<std::string_view, uint64_t>{"dict", 120}));
  EXPECT_EQ(types.types[1], (std::pair<std::string_view, uint64_t>{"app.models.Session", 7}));
  EXPECT_TRUE(std::get<PythonTypesMessage>(Payload().add(WirePythonTypes{0, 1}).decode(decoder, MessageType::PythonTypes))
                  .types.empty());

  std::string kept_text = "3\t7f00001000\t0\thistory (module global in __main__) -> list -> Tensor";
  Payload kept;
  kept.add(WireKeptBy{static_cast<uint32_t>(kept_text.size()), 0}).add_text(kept_text);
  auto answers = std::get<KeptByMessage>(kept.decode(decoder, MessageType::KeptBy)).answers;
  ASSERT_EQ(answers.size(), 1u);
  EXPECT_EQ(answers[0].tag, 3u);
  EXPECT_EQ(answers[0].holder, 0x7f00001000u);
  EXPECT_EQ(answers[0].items, 0u);
  EXPECT_EQ(answers[0].chain, "history (module global in __main__) -> list -> Tensor");

  EXPECT_EQ(std::get<EpochMessage>(Payload().add(WireEpoch{8, 99}).decode(decoder, MessageType::Epoch)).epoch, 8u);
  EXPECT_EQ(std::get<SealMessage>(Payload().add(WireSeal{UINT64_MAX}).decode(decoder, MessageType::Seal)).epoch,
            UINT64_MAX);
  EXPECT_EQ(std::get<DropsMessage>(Payload().add(WireDrops{0, 0, 12}).decode(decoder, MessageType::Drops)).total, 12u);
  EXPECT_EQ(std::get<ThreadEndMessage>(Payload().add(WireThreadEnd{4, 0}).decode(decoder, MessageType::ThreadEnd)).index,
            4u);
  EXPECT_EQ(std::get<ModuleUnloadMessage>(
                Payload().add(WireModuleUnload{3, 0}).decode(decoder, MessageType::ModuleUnload)).id,
            3u);
  auto goodbye = std::get<GoodbyeMessage>(Payload().add(WireGoodbye{2, 0, 7}).decode(decoder, MessageType::Goodbye));
  EXPECT_EQ(goodbye.reason, GoodbyeReason::ProcessExit);
  EXPECT_EQ(goodbye.stacks_lost, 7u);
}

// Kind 12 was counted in a 5-entry array (memory corruption in root's
// recorder) and written with the wrong type byte (forged records).
TEST(WireDecoder, RefusesEventKindsThatAreNotEvents) {
  for (int kind : {5, 12, 13, 16, 255}) {
    RawEvent bad = event(EventKind::Alloc, 0x1000);
    bad.kind = static_cast<uint8_t>(kind);
    expect_protocol_error(events(1, {event(EventKind::Alloc, 0x10), bad}), MessageType::Events,
                          "event 1 of thread 1 has kind " + std::to_string(kind));
  }
}

TEST(WireDecoder, AcceptsAnExitMarkOfAKnownCauseWithNothingElseSet) {
  RawEvent exit{0, static_cast<uint64_t>(capture::ExitCause::PythonFinalization), 0, kExitMark, 0, 0};
  WireDecoder decoder;
  events(1, {event(EventKind::Alloc, 0x10), exit}).decode(decoder, MessageType::Events);
  RawEvent unknown_cause = exit;
  unknown_cause.size = 2;
  expect_protocol_error(events(1, {unknown_cause}), MessageType::Events, "event 0 of thread 1 marks an exit of cause 2");
  RawEvent with_address = exit;
  with_address.address = 0x1000;
  expect_protocol_error(events(1, {with_address}), MessageType::Events, "is an exit mark with fields set");
}

TEST(WireDecoder, RefusesHeapIdsFrom128) {
  expect_protocol_error(events(1, {event(EventKind::Alloc, 0x10, 16, 1, 128)}), MessageType::Events, "heap 128");
  expect_protocol_error(events(1, {event(EventKind::Free, 0x10, 0, 0, 255)}), MessageType::Events, "heap 255");
  Payload heap;
  heap.add(WireHeap{128, 1, 0}).add_text("x");
  expect_protocol_error(heap, MessageType::Heap, "heap id 128");
  Payload own;  // 0 and 1 are malloc and mmap, declared by the recorder
  own.add(WireHeap{1, 1, 0}).add_text("x");
  expect_protocol_error(own, MessageType::Heap, "heap id 1");
}

TEST(WireDecoder, RefusesNodeIdsZeroAndMaxAndParentsNotBelowTheirChild) {
  for (auto [id, parent] : std::vector<std::pair<uint32_t, uint32_t>>{{0, 0}, {UINT32_MAX, 1}, {5, 5}, {5, 9}}) {
    Payload nodes;
    nodes.add(NodesHeader{2, 0}).add(WireNode{0x401000, 1, 0}).add(WireNode{0x402000, id, parent});
    expect_protocol_error(nodes, MessageType::Nodes, "trace node " + std::to_string(id));
  }
  expect_protocol_error(events(1, {event(EventKind::Alloc, 0x10, 16, UINT32_MAX)}), MessageType::Events,
                        "stack 4294967295");
}

TEST(WireDecoder, RefusesCountsThatDisagreeWithTheLength) {
  Payload events_short = events(1, {event(EventKind::Alloc, 0x10), event(EventKind::Free, 0x10)});
  events_short.truncate(sizeof(EventsHeader) + sizeof(RawEvent));
  expect_protocol_error(events_short, MessageType::Events, "counts add up to");
  Payload events_huge;
  events_huge.add(EventsHeader{1, UINT32_MAX}).add(event(EventKind::Alloc, 0x10));
  expect_protocol_error(events_huge, MessageType::Events, "counts add up to");
  Payload nodes;
  nodes.add(NodesHeader{100, 0}).add(WireNode{0x401000, 1, 0});
  expect_protocol_error(nodes, MessageType::Nodes, "counts add up to");
  Payload module;
  module.add(WireModule{1, 4, 0, 3, 0}).add_text("/app").add(WireSegment{0, 1, 5, 0});
  expect_protocol_error(module, MessageType::Module, "counts add up to");
  Payload truncated;
  truncated.add(EventsHeader{1, 0}).truncate(5);
  expect_protocol_error(truncated, MessageType::Events, "header alone has");
  expect_protocol_error(Payload().add(WireSeal{1}).add(uint32_t{0}), MessageType::Seal, "a seal message of 12 bytes");
}

TEST(WireDecoder, RefusesTextsAndListsBeyondTheAgentsLimits) {
  Payload heap;
  heap.add(WireHeap{2, kMaxHeapNameBytes + 1, 0}).add_text(std::string(kMaxHeapNameBytes + 1, 'h'));
  expect_protocol_error(heap, MessageType::Heap, "heap name");
  Payload note;
  note.add(WireNote{0, kMaxNoteBytes + 1}).add_text(std::string(kMaxNoteBytes + 1, 'n'));
  expect_protocol_error(note, MessageType::Note, "a note of");
  Payload module;
  module.add(WireModule{1, kMaxModulePathBytes + 1, 0, 0, 0}).add_text(std::string(kMaxModulePathBytes + 1, 'p'));
  expect_protocol_error(module, MessageType::Module, "module path");
  Payload segments;
  segments.add(WireModule{1, 0, 0, kMaxModuleSegments + 1, 0});
  for (uint32_t i = 0; i <= kMaxModuleSegments; ++i) segments.add(WireSegment{0, 1, 5, 0});
  expect_protocol_error(segments, MessageType::Module, "segment count");
}

TEST(WireDecoder, RefusesMessagesTheAgentCannotHaveSent) {
  MessageHeader oversized{static_cast<uint32_t>(MessageType::Events), kMaxMessageBytes + 1};
  EXPECT_THROW(check_header(oversized), Error);
  for (uint32_t type : {0u, 18u, 99u, 100u, 101u, 102u, 0xFFFFFFFFu}) {
    try {
      check_header({type, 0});
      ADD_FAILURE() << "type " << type << " accepted";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::AgentProtocol);
    }
  }
  expect_protocol_error(events(0, {}), MessageType::Events, "thread index 0");
  expect_protocol_error(events(UINT32_MAX, {}), MessageType::Events, "thread index 4294967295");
  expect_protocol_error(events(1, {mark(0)}), MessageType::Events, "marks epoch 0");
  expect_protocol_error(events(1, {mark(UINT64_MAX)}), MessageType::Events, "marks epoch 18446744073709551615");
  RawEvent reserved = event(EventKind::Alloc, 0x10);
  reserved.reserved = 1;
  expect_protocol_error(events(1, {reserved}), MessageType::Events, "reserved");
  expect_protocol_error(Payload().add(WireDrops{1, 1, 5}), MessageType::Drops, "reserved");
  expect_protocol_error(Payload().add(WireGoodbye{4, 0, 0}), MessageType::Goodbye, "goodbye reason 4");
  expect_protocol_error(Payload().add(WireModuleUnload{0, 0}), MessageType::ModuleUnload, "module 0");
  expect_protocol_error(Payload().add(WireEpoch{0, 0}), MessageType::Epoch, "epoch 0");
  expect_protocol_error(Payload().add(WireAllocatorStats{3, 0, 1, 2, 3, 4, 5}), MessageType::AllocatorStats,
                        "allocator kind 3");
  expect_protocol_error(Payload().add(WireAllocatorStats{1, 7, 1, 2, 3, 4, 5}), MessageType::AllocatorStats,
                        "reserved");
  auto census = [](const std::string& text) {
    Payload payload;
    payload.add(WirePythonTypes{static_cast<uint32_t>(text.size()), 0}).add_text(text);
    return payload;
  };
  expect_protocol_error(census("12dict"), MessageType::PythonTypes, "census line");
  expect_protocol_error(census("1x dict"), MessageType::PythonTypes, "census count");
  expect_protocol_error(census("3 "), MessageType::PythonTypes, "empty python type name");
  expect_protocol_error(census("3 a\x1b[2Jb"), MessageType::PythonTypes, "control character");
  expect_protocol_error(census("3 dict\n4 dict"), MessageType::PythonTypes, "counted twice");
  expect_protocol_error(census("3 " + std::string(241, 'a')), MessageType::PythonTypes, "python type name");
  expect_protocol_error(census("12345678901234567 dict"), MessageType::PythonTypes, "census line");
  auto kept = [](const std::string& text) {
    Payload payload;
    payload.add(WireKeptBy{static_cast<uint32_t>(text.size()), 0}).add_text(text);
    return payload;
  };
  expect_protocol_error(kept("64\t0\t0\tx"), MessageType::KeptBy, "kept-by tag 64");
  expect_protocol_error(kept("1\t0\t0\tx\n1\t0\t0\ty"), MessageType::KeptBy, "answered twice");
  expect_protocol_error(kept("1\tzz\t0\tx"), MessageType::KeptBy, "kept-by number");
  expect_protocol_error(kept("1\t0\t0\t"), MessageType::KeptBy, "empty kept-by chain");
  expect_protocol_error(kept("1\t0\t0"), MessageType::KeptBy, "kept-by line");
  expect_protocol_error(kept("1\t0\t0\ta\ab"), MessageType::KeptBy, "control character");
  expect_protocol_error(kept("1\t0\t0\t" + std::string(401, 'a')), MessageType::KeptBy, "kept-by chain");
  Payload severity;
  severity.add(WireNote{2, 1}).add_text("x");
  expect_protocol_error(severity, MessageType::Note, "note severity 2");
  Payload code;
  code.add(WirePythonCode{0x80000000, 1, 1, 1, 0}).add_text("ab");
  expect_protocol_error(code, MessageType::PythonCode, "python code id");
  expect_protocol_error(Payload().add(Hello{kWireVersion, 1, 1, 8, 1}), MessageType::Hello, "hello flags 8");
}

TEST(WireDecoder, AHelloOfAnotherVersionNamesBoth) {
  WireDecoder decoder;
  try {
    Payload().add(Hello{kWireVersion + 1, 1, 1, 0, 1}).decode(decoder, MessageType::Hello);
    ADD_FAILURE() << "accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::AgentFailed);
    EXPECT_NE(std::string(error.what()).find("version " + std::to_string(kWireVersion + 1)), std::string::npos);
  }
}

}  // namespace
}  // namespace leakspy::wire
