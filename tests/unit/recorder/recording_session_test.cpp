// RecordingSession fed message by message, as the recording loop does, into
// a real capture file: a message that breaks the protocol ends the recording
// with everything before it kept (issue 14, findings 3 and 9).
#include "recorder/recording_session.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "capture/format.h"
#include "common/error.h"
#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy::recorder {
namespace {

using capture::EventKind;

class RecordingSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = test::make_temp_dir();
    SessionOptions options;
    options.output_path = directory_ + "/session.lspy";
    options.pid = getpid();
    session_ = std::make_unique<RecordingSession>(std::move(options));
    process_ = session_->add_process(getpid());
  }
  void TearDown() override {
    session_.reset();
    std::system(("rm -rf " + directory_).c_str());
  }

  template <typename T>
  void send(wire::MessageType type, const T& body, const std::vector<uint8_t>& tail = {}) {
    std::vector<uint8_t> payload(sizeof(T));
    std::memcpy(payload.data(), &body, sizeof(T));
    payload.insert(payload.end(), tail.begin(), tail.end());
    send_bytes(type, payload);
  }
  void send_bytes(wire::MessageType type, const std::vector<uint8_t>& payload) {
    wire::MessageHeader header{static_cast<uint32_t>(type), static_cast<uint32_t>(payload.size())};
    wire::check_header(header);
    session_->on_message(process_, header, payload.data());
  }
  void hello() { send(wire::MessageType::Hello, wire::Hello{wire::kWireVersion, 1, 1, 0, 32768}); }
  void events(uint32_t thread, const std::vector<wire::RawEvent>& list) {
    std::vector<uint8_t> tail(list.size() * sizeof(wire::RawEvent));
    if (!list.empty()) std::memcpy(tail.data(), list.data(), tail.size());
    send(wire::MessageType::Events, wire::EventsHeader{thread, static_cast<uint32_t>(list.size())}, tail);
  }
  void seal(uint64_t epoch) { send(wire::MessageType::Seal, wire::WireSeal{epoch}); }
  // Sends a message that must break the protocol, and ends the recording as
  // the loop does: the note, then finish().
  std::string end_with_protocol_error(const std::function<void()>& bad) {
    try {
      bad();
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::AgentProtocol) << error.what();
      session_->note_protocol_error(error.what());
      session_->finish(capture::TargetEnd::Exited, 0);
      return error.what();
    }
    ADD_FAILURE() << "the message was accepted";
    session_->finish(capture::TargetEnd::Exited, 0);
    return "";
  }
  test::CaptureSummary summary() const { return test::summarize_capture(directory_ + "/session.lspy"); }

  static wire::RawEvent mark(uint64_t epoch) { return {epoch, 0, 0, wire::kEpochMark, 0, 0}; }
  static wire::RawEvent alloc(uint64_t address, uint64_t size, uint8_t heap = 0) {
    return {address, size, 0, static_cast<uint8_t>(EventKind::Alloc), heap, 0};
  }

  std::string directory_;
  std::unique_ptr<RecordingSession> session_;
  uint32_t process_ = 0;
};

// The reviewer's case: 64 events of kind 12 corrupted root's recorder's heap.
TEST_F(RecordingSessionTest, EventsOfABadKindEndTheRecordingAndWhatCameBeforeIsKept) {
  hello();
  events(1, {mark(1), alloc(0x1000, 100), alloc(0x2000, 200)});
  seal(1);
  events(1, {mark(2), alloc(0x3000, 300)});  // not sealed: kept too, as when a target dies
  std::vector<wire::RawEvent> bad(64, alloc(0x4000, 400));
  for (wire::RawEvent& event : bad) event.kind = 12;
  std::string error = end_with_protocol_error([&] { events(1, bad); });
  EXPECT_NE(error.find("has kind 12"), std::string::npos) << error;

  test::CaptureSummary capture = summary();
  ASSERT_TRUE(capture.has_trailer);
  EXPECT_FALSE(capture.read.truncated);
  EXPECT_EQ(capture.events, 3u);
  EXPECT_EQ(capture.trailer.total_events(), 3u);
  EXPECT_EQ(capture.events_by_kind[static_cast<int>(EventKind::Alloc)], 3u);
  EXPECT_EQ(capture.live.size(), 3u);
  ASSERT_FALSE(capture.notes.empty());
  EXPECT_NE(capture.notes.back().text.find("the recording ended early: the agent broke the wire protocol"),
            std::string::npos);
}

TEST_F(RecordingSessionTest, TheFirstExitMarkBecomesTheExitRecordAtItsPlace) {
  hello();
  wire::RawEvent exit{0, static_cast<uint64_t>(capture::ExitCause::PythonFinalization), 0, wire::kExitMark, 0, 0};
  wire::RawEvent exit_again{0, static_cast<uint64_t>(capture::ExitCause::Exit), 0, wire::kExitMark, 0, 0};
  events(1, {mark(1), alloc(0x1000, 100), exit, alloc(0x2000, 200), exit_again});
  seal(1);
  session_->finish(capture::TargetEnd::Exited, 0);
  test::CaptureSummary capture = summary();
  ASSERT_EQ(capture.exits.size(), 1u) << "a second mark is ignored";
  EXPECT_EQ(capture.exits[0], capture::ExitCause::PythonFinalization);
  EXPECT_EQ(capture.events_before_exit[0], 1u);
  EXPECT_EQ(capture.events, 2u) << "the marks are not events";
  EXPECT_EQ(capture.trailer.total_events(), 2u);
}

TEST_F(RecordingSessionTest, HeapIdsFrom128AreRefused) {
  hello();
  events(1, {mark(1), alloc(0x1000, 100)});
  std::string error = end_with_protocol_error([&] { events(1, {alloc(0x2000, 5, 128)}); });
  EXPECT_NE(error.find("heap 128"), std::string::npos) << error;
  EXPECT_EQ(summary().events, 1u);
}

TEST_F(RecordingSessionTest, NoHelloFirstIsRefused) {
  std::string error = end_with_protocol_error([&] { seal(1); });
  EXPECT_NE(error.find("no hello first"), std::string::npos) << error;
}

TEST_F(RecordingSessionTest, ASecondHelloIsRefused) {
  hello();
  std::string error = end_with_protocol_error([&] { hello(); });
  EXPECT_NE(error.find("a second hello"), std::string::npos) << error;
}

TEST_F(RecordingSessionTest, NothingMayFollowTheGoodbye) {
  hello();
  send(wire::MessageType::Goodbye, wire::WireGoodbye{1, 0, 0});
  std::string error = end_with_protocol_error([&] { seal(1); });
  EXPECT_NE(error.find("after the goodbye"), std::string::npos) << error;
}

TEST_F(RecordingSessionTest, AHeapIsDeclaredOnce) {
  hello();
  std::vector<uint8_t> name = {'p', 'y'};
  send(wire::MessageType::Heap, wire::WireHeap{5, 2, 0}, name);
  std::string error = end_with_protocol_error(
      [&] { send(wire::MessageType::Heap, wire::WireHeap{5, 2, capture::kHeapFlagRanges}, name); });
  EXPECT_NE(error.find("heap 5 declared twice"), std::string::npos) << error;
  // The capture numbers heaps by name for all processes: the first declared one is 2.
  EXPECT_EQ(summary().heap_names.at(wire::kFirstDeclaredHeap), "py");
}

}  // namespace
}  // namespace leakspy::recorder
