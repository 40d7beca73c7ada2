// PyTorch's tensor level (agent/python/torch_memory_history.h) end to end:
// `leakspy record --pid` on a Python service, on every interpreter present.
// There is no GPU here, so the service runs on a fake torch
// (tests/targets/fake_torch), a test double with the surface of PyTorch 2.x's
// memory history; what runs for real is everything of leakspy's: the
// agent's thread finding libc10_cuda, taking the GIL, running the reader
// script in the target, turning the history on and off, and the events,
// stacks and reports of heap cuda:0/torch. scripts/gpu-check.sh runs the same
// path against real PyTorch on a GPU.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "tests/support/capture_summary.h"
#include "tests/support/interpreter_test.h"
#include "tests/support/process.h"
#include "tests/support/python_interpreters.h"
#include "tests/support/source_lines.h"

namespace leakspy {
namespace {

constexpr uint64_t kLeakedTensor = 4 << 20;
constexpr uint64_t kScratchTensor = 1 << 20;

std::string service_script() { return std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/python/torch_tensor_service.py"; }

std::vector<std::string> fake_torch_environment() {
  return {"PYTHONPATH=" + std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/fake_torch",
          "LEAKSPY_FAKE_C10_CUDA=" + std::string(LEAKSPY_TARGETS_DIR) + "/fake_torch/libc10_cuda.so"};
}

class TorchTensors : public test::InterpreterTest {
 protected:
  // Attaches for `seconds` to the service started with `arguments`; returns
  // the capture's path and leaves the service's output in `service_output`.
  std::string record_service(const std::vector<std::string>& arguments, std::string* service_output,
                             std::string* recorder_err) {
    std::vector<std::string> argv = {GetParam().path, service_script()};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    test::BackgroundProcess service(argv, fake_torch_environment());
    EXPECT_TRUE(service.wait_for_output("ready", 60));
    std::string capture = directory_ + "/tensors.lspy";
    test::ProcessResult recorded = test::run_process(
        {test::leakspy_binary(), "record", "--pid", std::to_string(service.pid()), "-o", capture, "--duration", "2"},
        60);
    EXPECT_EQ(recorded.exit_code, 0) << recorded.err;
    *recorder_err = recorded.err;
    service.close_stdin();
    EXPECT_EQ(service.wait(60), 0) << "the service ends normally after the detach: " << service.output();
    *service_output = service.output();
    return capture;
  }
};

TEST_P(TorchTensors, LeakedTensorsAreTopRowOfTheTorchHeapAndTheHistoryIsTurnedOffAgain) {
  std::string output;
  std::string err;
  std::string capture = record_service({}, &output, &err);
  EXPECT_NE(err.find("recording CUDA tensors on cuda:N/torch"), std::string::npos) << err;

  test::CaptureSummary summary = test::summarize_capture(capture);
  std::string leak_line =
      "torch_tensor_service.py:" + std::to_string(test::line_marked(service_script(), "# LEAK")) + ")";
  uint64_t leaked = 0;
  uint64_t scratch = 0;
  for (const test::LiveEntry& entry : summary.live_on_heap("cuda:0/torch")) {
    if (entry.size == kLeakedTensor && summary.python_location(entry.stack).find(leak_line) != std::string::npos) {
      ++leaked;
    }
    if (entry.size == kScratchTensor) ++scratch;
  }
  // One request every 10 ms for 2 s, each recorded from the first read on.
  EXPECT_GT(leaked, 100u) << "4 MiB tensors live at the end, with the LEAK line's stack";
  EXPECT_EQ(scratch, 0u) << "the 1 MiB temporaries are freed (free_requested is the end of a tensor)";

  test::ProcessResult top =
      test::run_process({test::leakspy_binary(), "top", capture, "--heap", "torch", "--bytes", "-n", "3"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  std::string row = std::to_string(leaked * kLeakedTensor);
  size_t table = top.out.find("  location\n");
  ASSERT_NE(table, std::string::npos) << top.out;
  size_t first_row = top.out.find('\n', table) + 1;
  std::string row_one = top.out.substr(first_row, top.out.find('\n', first_row) - first_row);
  EXPECT_EQ(row_one.find(row), row_one.find_first_not_of(' ')) << "row 1 holds every leaked byte: " << top.out;
  EXPECT_NE(row_one.find("handle_request (" + std::string(LEAKSPY_SOURCE_DIR) + "/tests/targets/python/" + leak_line),
            std::string::npos)
      << top.out;
  // The host report says what the GPU heaps hold, at their level.
  test::ProcessResult host = test::run_process({test::leakspy_binary(), "top", capture, "-n", "1"});
  EXPECT_NE(host.out.find("gpu        cuda:0/torch: tensors (PyTorch's allocated memory), "), std::string::npos)
      << host.out;

  // leakspy turned the history on (its own settings) and off at the detach.
  EXPECT_NE(output.find("history off"), std::string::npos) << output;
  EXPECT_NE(output.find("history calls [{'enabled': 'all', 'context': 'alloc', 'stacks': 'python'"), std::string::npos)
      << output;
}

TEST_P(TorchTensors, HistoryTheProgramTurnedOnIsReadAndLeftOn) {
  std::string output;
  std::string err;
  std::string capture = record_service({"--history-on"}, &output, &err);
  EXPECT_NE(err.find("memory history was already on"), std::string::npos) << err;
  EXPECT_NE(output.find("history on"), std::string::npos) << output;
  // Only the program's own call: leakspy neither changed nor cleared it.
  EXPECT_NE(output.find("history calls [{'enabled': 'all', 'context': 'all', 'stacks': 'python', 'max_entries': 500000, "
                        "'clear_history': False}]"),
            std::string::npos)
      << output;

  test::CaptureSummary summary = test::summarize_capture(capture);
  uint64_t leaked = summary.live_on_heap("cuda:0/torch").size();
  EXPECT_GT(leaked, 100u) << "the tensors allocated while attached, read from the program's history";
  // Entries from before the attach are not handed on (their tensors are as
  // unknown as any allocation made before leakspy came): 2 s is at most
  // about 200 requests.
  EXPECT_LT(leaked, 260u);
}

TEST_P(TorchTensors, LaunchedProgramThatExitsHasEveryTensorUpToItsExit) {
  std::string capture = directory_ + "/launched.lspy";
  test::BackgroundProcess run({test::leakspy_binary(), "run", "-o", capture, "--", GetParam().path, service_script(),
                               "--wait-for-history"},
                              fake_torch_environment());
  ASSERT_TRUE(run.wait_for_output("ready", 60));
  usleep(1'500'000);
  run.close_stdin();  // the service exits less than a read interval after its last requests
  ASSERT_EQ(run.wait(60), 0) << run.output();
  size_t served_at = run.output().find("served ");
  ASSERT_NE(served_at, std::string::npos) << run.output();
  uint64_t served = std::stoull(run.output().substr(served_at + 7));

  // The last read happens in an atexit handler, so the tensors of the last
  // second are there too: every request's tensor, no temporary.
  test::CaptureSummary summary = test::summarize_capture(capture);
  std::vector<test::LiveEntry> tensors = summary.live_on_heap("cuda:0/torch");
  EXPECT_EQ(tensors.size(), served);
  for (const test::LiveEntry& tensor : tensors) EXPECT_EQ(tensor.size, kLeakedTensor);
}

LEAKSPY_FOR_EVERY_INTERPRETER(TorchTensors);

}  // namespace
}  // namespace leakspy
