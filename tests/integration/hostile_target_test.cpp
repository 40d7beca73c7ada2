// A target that speaks the wire protocol itself and sends one bad field after
// good messages (tests/targets/hostile_protocol.c), under `leakspy run` (a
// static program) and under `leakspy record` (a live process into which
// leakspy injects a hostile agent library): leakspy must end with a protocol
// error, a readable capture of everything before it, and bounded memory -
// never a crash or a corrupt capture (issue 14).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "cli/exit_codes.h"
#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

struct HostileCase {
  const char* mode;
  const char* error;  // what leakspy's message must name
};

// Modes of hostile_agent and the rule each one breaks.
const HostileCase kCases[] = {
    {"kind", "has kind 12"},
    {"heap", "is on heap 200"},
    {"node-zero", "trace node 0 "},
    {"node-max", "trace node 4294967295"},
    {"length", "a message of 4294967040"},
    {"count", "counts add up to"},
    {"flood", "epochs began without a seal"},
};

// Well above a recorder's own needs (about 60 MB here), far below what the
// unbounded recorder reached (gigabytes for the flood). Under ASan
// (scripts/sanitize.sh) leakspy also holds shadow memory and up to 256 MB of
// freed blocks in quarantine: the flood reached 230 MB there.
#if defined(__SANITIZE_ADDRESS__)
constexpr long kMaxRecorderRssKb = 600 * 1024;
#else
constexpr long kMaxRecorderRssKb = 200 * 1024;
#endif

class HostileTargetTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }

  // What either command must have done with `hostile`'s bad part: `result`
  // is leakspy's, `capture` what it wrote.
  void expect_protocol_error_and_whole_capture(const test::ProcessResult& result, const std::string& capture) {
    const HostileCase& hostile = GetParam();
    ASSERT_FALSE(result.timed_out) << result.err;
    EXPECT_EQ(result.exit_code, cli::kExitAgentProtocol) << "128 + N would be a signal\n" << result.err;
    EXPECT_NE(result.err.find("the agent broke the wire protocol"), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(hostile.error), std::string::npos) << result.err;
    EXPECT_NE(result.err.find("holds everything the agent sent before it"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("internal error"), std::string::npos) << result.err;
    EXPECT_LT(result.max_rss_kb, kMaxRecorderRssKb) << "peak RSS of leakspy";

    test::ProcessResult inspect = test::run_process({test::leakspy_binary(), "inspect", capture});
    EXPECT_EQ(inspect.exit_code, 0) << inspect.err;
    EXPECT_EQ(inspect.err.find("truncated"), std::string::npos) << inspect.err;

    test::CaptureSummary summary = test::summarize_capture(capture);
    EXPECT_TRUE(summary.has_trailer);
    EXPECT_FALSE(summary.read.truncated);
    // The ten good allocations of 1000..1009 bytes, each once, on its stack.
    for (uint64_t size = 1000; size < 1010; ++size) {
      std::vector<test::LiveEntry> live = summary.live_with_size(size);
      ASSERT_EQ(live.size(), 1u) << "size " << size;
      EXPECT_EQ(live[0].heap, capture::kHeapMalloc);
      EXPECT_EQ(live[0].stack, 1u);
    }
    ASSERT_EQ(summary.nodes.count(1), 1u);
    EXPECT_EQ(summary.nodes.at(1).frame, 0x401000u);
    EXPECT_EQ(summary.nodes.size(), 1u) << "no bad node reached the capture";
    // Nothing of the bad message: no event that is not an allocation, and only
    // the flood's 1-byte events (received, in epochs never sealed) besides the good ones.
    uint64_t allocations = summary.events_by_kind[static_cast<int>(capture::EventKind::Alloc)];
    EXPECT_EQ(summary.events, allocations);
    EXPECT_EQ(summary.trailer.total_events(), summary.events);
    if (std::string(hostile.mode) == "flood") {
      EXPECT_GT(allocations, 10u);
      EXPECT_EQ(summary.live_with_size(1).size(), allocations - 10);
    } else {
      EXPECT_EQ(allocations, 10u);
    }
    bool noted = false;
    for (const capture::NoteRecord& note : summary.notes) {
      noted = noted || note.text.find("the recording ended early: the agent broke the wire protocol") != std::string::npos;
    }
    EXPECT_TRUE(noted) << "the capture says why it ends";
  }

  std::string directory_;
};

TEST_P(HostileTargetTest, RunEndsWithAProtocolErrorAndKeepsWhatCameBefore) {
  std::string capture = directory_ + "/hostile.lspy";
  test::ProcessResult result = test::run_process(
      {test::leakspy_binary(), "run", "-o", capture, "--", test::target_path("hostile_agent"), GetParam().mode}, 120);
  expect_protocol_error_and_whole_capture(result, capture);
}

// `record --pid` injects the agent library LEAKSPY_AGENT names: a hostile one
// here, as the target's user could put in place of leakspy's. The target
// lives on after leakspy ends the recording.
TEST_P(HostileTargetTest, RecordEndsWithAProtocolErrorAndKeepsWhatCameBefore) {
  test::BackgroundProcess target({test::target_path("attach_service"), "1"},
                                 {std::string("HOSTILE_MODE=") + GetParam().mode});
  ASSERT_TRUE(target.wait_for_output("ready"));
  std::string capture = directory_ + "/hostile.lspy";
  test::ProcessResult result = test::run_process(
      {test::leakspy_binary(), "record", "--pid", std::to_string(target.pid()), "-o", capture, "--duration", "60"}, 120,
      {"LEAKSPY_AGENT=" + test::target_path("hostile/libleakspy_agent.so")});
  expect_protocol_error_and_whole_capture(result, capture);
  target.close_stdin();
  EXPECT_EQ(target.wait(30), 0) << "the target outlives a recording that its agent broke";
}

INSTANTIATE_TEST_SUITE_P(EveryBadField, HostileTargetTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<HostileCase>& param) {
                           std::string name = param.param.mode;
                           std::erase(name, '-');
                           return name;
                         });

}  // namespace
}  // namespace leakspy
