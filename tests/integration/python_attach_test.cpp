// Python recording with `leakspy record --pid`: interpreters started without
// leakspy, attached mid-run, on every interpreter present.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support/capture_summary.h"
#include "tests/support/interpreter_test.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

using test::python_target;

std::string marked_line(const std::string& script, const std::string& marker) {
  return std::to_string(test::line_marked(python_target(script), marker));
}

std::vector<std::string> record(pid_t pid, const std::string& output, const std::string& duration) {
  return {test::leakspy_binary(), "record", "--pid", std::to_string(pid), "-o", output, "--duration", duration};
}

class PythonAttach : public test::InterpreterTest {};

TEST_P(PythonAttach, EmbeddingLeakAttachedMidRunIsTopRowOne) {
  test::BackgroundProcess service({GetParam().path, python_target("embedding_service.py")});
  ASSERT_TRUE(service.wait_for_output("ready", 60));
  std::string capture = directory_ + "/service.lspy";
  test::ProcessResult recorded = test::run_process(record(service.pid(), capture, "2"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;
  EXPECT_NE(recorded.err.find("python " + GetParam().minor + " found"), std::string::npos) << recorded.err;

  test::ProcessResult top = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1", "--by", "live"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  // Row 1 (the only row): the comprehension before 3.12, the function after
  // (PEP 709); the line is the same.
  std::string line = "embedding_service.py:" + marked_line("embedding_service.py", "# LEAK") + ")";
  EXPECT_NE(top.out.find(line), std::string::npos) << top.out;

  service.close_stdin();
  EXPECT_EQ(service.wait(60), 0) << "the service ends normally after the detach";
  EXPECT_NE(service.output().find("served"), std::string::npos) << service.output();
}

TEST_P(PythonAttach, ThreadAlreadyInsideALongRunningFunctionGetsItsWholePythonStack) {
  test::BackgroundProcess worker({GetParam().path, python_target("long_running_call.py")});
  ASSERT_TRUE(worker.wait_for_output("ready", 60));
  std::string capture = directory_ + "/long.lspy";
  test::ProcessResult recorded = test::run_process(record(worker.pid(), capture, "1"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;

  test::CaptureSummary summary = test::summarize_capture(capture);
  std::string loop_line = marked_line("long_running_call.py", "# LOOP ALLOCATION");
  uint64_t complete = 0;
  uint64_t in_loop = 0;
  for (const test::LiveEntry& entry : summary.live) {
    if (summary.python_location(entry.stack).find("long_running_call.py:" + loop_line) == std::string::npos) continue;
    ++in_loop;
    std::vector<std::string> functions = summary.python_functions(entry.stack);
    std::vector<std::string> expected = {"long_running_loop", "middle_step", "outer_task"};
    if (functions.size() >= 3 && std::equal(expected.begin(), expected.end(), functions.begin())) ++complete;
  }
  EXPECT_GT(in_loop, 100u) << "the loop's blocks are live at the end";
  EXPECT_EQ(complete, in_loop) << "each of them has the frames entered before the attach";
  worker.close_stdin();
  EXPECT_EQ(worker.wait(60), 0);
}

LEAKSPY_FOR_EVERY_INTERPRETER(PythonAttach);

TEST(PythonTorchAttach, KeptFeaturesOfALoopAttachedMidRunAreAttributedToTheAppendingLine) {
  test::Interpreter debian = test::wanted_interpreters().front();
  if (!test::python_has_module(debian, "torch")) GTEST_SKIP() << "torch is not importable by " << debian.path;
  std::string directory = test::make_temp_dir();
  std::string capture = directory + "/torch.lspy";
  test::BackgroundProcess loop({debian.path, python_target("torch_features_leak.py")});
  ASSERT_TRUE(loop.wait_for_output("ready", 120));
  test::ProcessResult recorded = test::run_process(record(loop.pid(), capture, "2"), 60);
  ASSERT_EQ(recorded.exit_code, 0) << recorded.err;

  test::CaptureSummary summary = test::summarize_capture(capture);
  ASSERT_TRUE(summary.has_trailer);
  std::pair<std::string, uint64_t> top;
  for (const auto& [location, bytes] :
       summary.live_bytes_by_python_location(capture::kHeapMalloc, "torch_features_leak.py")) {
    if (bytes > top.second) top = {location, bytes};
  }
  std::string line = marked_line("torch_features_leak.py", "# LEAK");
  EXPECT_NE(top.first.find("infer (torch_features_leak.py:" + line + ")"), std::string::npos) << top.first;
  EXPECT_GE(top.second, 10u * 64u * 512u * 4u) << "at least 10 batches of 64 x 512 float features in 2 s";

  // `top` names that line as row 1; --native names the allocator inside torch.
  test::ProcessResult report = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_NE(report.out.find("infer (" + python_target("torch_features_leak.py") + ":" + line + ")"), std::string::npos)
      << report.out;
  test::ProcessResult native = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1", "--native"});
  EXPECT_NE(native.out.find("c10::alloc_cpu"), std::string::npos) << native.out;

  loop.close_stdin();
  EXPECT_EQ(loop.wait(60), 0) << "the loop ends normally after the detach";
  EXPECT_NE(loop.output().find("batches kept"), std::string::npos) << loop.output();
  std::system(("rm -rf " + directory).c_str());
}

}  // namespace
}  // namespace leakspy
