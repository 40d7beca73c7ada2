// Python recording with `leakspy run`, on every interpreter present.
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/capture_summary.h"
#include "tests/support/interpreter_test.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"

namespace leakspy {
namespace {

using test::python_target;

class PythonRun : public test::InterpreterTest {};

// The (location, bytes) with the most live bytes.
std::pair<std::string, uint64_t> top_location(const test::CaptureSummary& summary) {
  std::pair<std::string, uint64_t> top;
  for (const auto& [location, bytes] : summary.live_bytes_by_python_location()) {
    if (bytes > top.second) top = {location, bytes};
  }
  return top;
}

TEST_P(PythonRun, LeakIsAttributedToTheLineThatStoresTheEmbedding) {
  std::string capture = directory_ + "/service.lspy";
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture, GetParam().path, python_target("embedding_service.py")});
  ASSERT_TRUE(leakspy.wait_for_output("ready", 60)) << leakspy.output();
  // Stop recording while the service runs: SIGINT to leakspy alone (not the
  // service), as `kill -INT` would; the capture then ends with the leak live.
  leakspy.send_signal(SIGINT);
  // Only then let the service end: its interpreter frees everything on the way out.
  ASSERT_TRUE(test::wait_for_finished_capture(capture));
  leakspy.close_stdin();
  ASSERT_EQ(leakspy.wait(60), 0) << leakspy.output();

  test::CaptureSummary summary = test::summarize_capture(capture);
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.dropped_events, 0u);
  bool found_note = std::any_of(summary.notes.begin(), summary.notes.end(), [&](const capture::NoteRecord& note) {
    return note.text.find("python " + GetParam().minor + " found") != std::string::npos;
  });
  EXPECT_TRUE(found_note) << "the agent says which Python it found";
  auto [location, bytes] = top_location(summary);
  // The comprehension is its own code object before 3.12 and inlined after
  // (PEP 709): the function differs, the line does not.
  EXPECT_NE(location.find("(embedding_service.py:12)"), std::string::npos) << location;
  EXPECT_GE(bytes, 500u * 768u * 24u) << "at least 500 requests' floats";
}

TEST(PythonTorchRun, KeptFeaturesAreAttributedToTheLineThatAppendsThem) {
  test::Interpreter debian = test::wanted_interpreters().front();
  if (!test::python_has_module(debian, "torch")) GTEST_SKIP() << "torch is not importable by " << debian.path;
  std::string directory = test::make_temp_dir();
  std::string capture = directory + "/torch.lspy";
  test::BackgroundProcess leakspy(
      {test::leakspy_binary(), "run", "-o", capture, debian.path, python_target("torch_features_leak.py")});
  ASSERT_TRUE(leakspy.wait_for_output("ready", 120)) << leakspy.output();
  leakspy.send_signal(SIGINT);
  ASSERT_TRUE(test::wait_for_finished_capture(capture, 60));
  leakspy.close_stdin();
  ASSERT_EQ(leakspy.wait(60), 0) << leakspy.output();

  test::CaptureSummary summary = test::summarize_capture(capture);
  // Tensor storage comes from c10's CPU allocator (posix_memalign): the
  // malloc heap. Its innermost Python frame is torch's own (functional.relu);
  // the line that keeps it is the innermost one in the script.
  std::pair<std::string, uint64_t> top;
  for (const auto& [location, bytes] :
       summary.live_bytes_by_python_location(capture::kHeapMalloc, "torch_features_leak.py")) {
    if (bytes > top.second) top = {location, bytes};
  }
  EXPECT_NE(top.first.find("infer (torch_features_leak.py:19)"), std::string::npos) << top.first;
  EXPECT_GE(top.second, 300u * 64u * 512u * 4u) << "at least 300 batches of 64 x 512 float features";
  std::system(("rm -rf " + directory).c_str());
}

TEST(PythonUnsupportedRun, AnOlderPythonIsRecordedNativeOnlyWithAWarning) {
  std::string python38;
  const char* root = std::getenv("PYENV_ROOT");
  std::string versions = std::string(root != nullptr ? root : "/root/.pyenv") + "/versions";
  test::ProcessResult found = test::run_process({"sh", "-c", "ls " + versions + "/3.8*/bin/python3.8 2>/dev/null"});
  if (found.out.empty()) GTEST_SKIP() << "python 3.8 is not installed (pyenv): nothing unsupported to try";
  python38 = found.out.substr(0, found.out.find('\n'));
  std::string directory = test::make_temp_dir();
  std::string capture = directory + "/py38.lspy";
  test::ProcessResult result = test::run_process(
      {test::leakspy_binary(), "run", "-o", capture, python38, "-c", "x = [list(range(100)) for _ in range(1000)]"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.err.find("warning: python 3.8 is not supported (3.9 to 3.13 are): recording native frames only"),
            std::string::npos)
      << result.err;
  test::CaptureSummary summary = test::summarize_capture(capture);
  EXPECT_TRUE(summary.python_codes.empty());
  EXPECT_GT(summary.events, 1000u);
  test::ProcessResult top = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1"});
  EXPECT_NE(top.out.find("python 3.8 is not supported"), std::string::npos) << top.out;
  std::system(("rm -rf " + directory).c_str());
}

LEAKSPY_FOR_EVERY_INTERPRETER(PythonRun);

}  // namespace
}  // namespace leakspy
