// The agent's CUDA path end to end on machines without a GPU: the target
// loads a stand-in CUDA driver and CUPTI (tests/targets/fake_cuda) that
// deliver CUPTI callbacks as the real ones do. The agent must notice the
// driver, load the CUPTI already mapped, subscribe, record device and
// pinned memory with the program's own stacks, name another subscriber when
// CUPTI is taken, unsubscribe at stop, and leave a process without CUDA alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <map>
#include <set>

#include "tests/support/capture_summary.h"
#include "tests/support/process.h"

namespace leakspy {
namespace {

using test::run_process;

// Heap names by id, from the capture's Heap and String records.
struct HeapNames : capture::RecordVisitor {
  std::map<uint32_t, std::string> strings;
  std::map<uint32_t, std::string> heaps;
  std::map<uint32_t, bool> ranges;
  void on_string(StringId id, std::string_view text) { strings[id.value()] = std::string(text); }
  void on_heap(const capture::HeapRecord& heap) {
    heaps[heap.id.value()] = strings[heap.name.value()];
    ranges[heap.id.value()] = heap.ranges();
  }
  int id_of(const std::string& name) const {
    for (const auto& [id, heap] : heaps) {
      if (heap == name) return static_cast<int>(id);
    }
    return -1;
  }
  bool any_cuda() const {
    return std::any_of(heaps.begin(), heaps.end(), [](const auto& heap) { return heap.second.starts_with("cuda"); });
  }
};

HeapNames heap_names(const std::string& path) {
  HeapNames names;
  capture::CaptureReader(path).read(names);
  return names;
}

std::string fake_driver() { return test::target_path("fake_cuda/libcuda.so.1"); }

class CudaRunTest : public ::testing::Test {
 protected:
  void SetUp() override { directory_ = test::make_temp_dir(); }
  void TearDown() override { std::system(("rm -rf " + directory_).c_str()); }
  std::string capture(const std::string& name) const { return directory_ + "/" + name + ".lspy"; }

  // The live blocks of `heap` at the end: all of `size` bytes, `count` of
  // them, from one stack whose innermost frame is the target's `function`
  // (the driver's and CUPTI's frames are cut).
  static void expect_leak(const test::CaptureSummary& summary, int heap, uint64_t size, size_t count) {
    ASSERT_GE(heap, 0);
    std::set<uint32_t> stacks;
    size_t blocks = 0;
    for (const test::LiveEntry& entry : summary.live) {
      if (static_cast<int>(entry.heap) != heap) continue;
      EXPECT_EQ(entry.size, size);
      stacks.insert(entry.stack);
      ++blocks;
    }
    EXPECT_EQ(blocks, count);
    ASSERT_EQ(stacks.size(), 1u);
    std::vector<uint64_t> frames = summary.frames(*stacks.begin());
    ASSERT_GE(frames.size(), 2u);
    EXPECT_NE(summary.module_of(frames[0]).find("/tests/targets/cuda_leak"), std::string::npos)
        << summary.module_of(frames[0]);
    for (uint64_t frame : frames) {
      std::string module = summary.module_of(frame);
      EXPECT_EQ(module.find("libcupti"), std::string::npos);
      EXPECT_EQ(module.find("libcuda"), std::string::npos);
      EXPECT_EQ(module.find("libleakspy_agent"), std::string::npos);
    }
  }

  std::string directory_;
};

TEST_F(CudaRunTest, DriverLoadedLaterIsRecordedWithTheProgramsStacks) {
  test::ProcessResult result =
      run_process({test::leakspy_binary(), "run", "-o", capture("cuda"), test::target_path("cuda_leak"), fake_driver()});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("subscribed=1"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("cupti_mapped=1 cuda_mapped=1"), std::string::npos) << result.out;

  HeapNames names = heap_names(capture("cuda"));
  test::CaptureSummary summary = test::summarize_capture(capture("cuda"));
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.dropped_events, 0u);
  expect_leak(summary, names.id_of("cuda:0"), 1 << 20, 6);
  expect_leak(summary, names.id_of("cuda:pinned"), 4096, 3);
  EXPECT_FALSE(names.ranges[names.id_of("cuda:0")]);
  EXPECT_EQ(summary.unknown_releases, 0u);

  // The CUPTI the program had mapped (the stand-in driver's dependency) was used, and said so.
  std::vector<std::string> cuda_notes;
  for (const capture::NoteRecord& note : summary.notes) {
    if (note.text.find("CUDA") != std::string::npos) cuda_notes.push_back(note.text);
  }
  ASSERT_EQ(cuda_notes.size(), 1u);
  EXPECT_NE(cuda_notes[0].find("recording device memory through CUPTI"), std::string::npos) << cuda_notes[0];
  EXPECT_NE(cuda_notes[0].find("fake_cuda/libcupti.so"), std::string::npos) << cuda_notes[0];

  // And `top --heap cuda` names the leaking lines with their bytes.
  test::ProcessResult top =
      run_process({test::leakspy_binary(), "top", capture("cuda"), "--heap", "cuda", "--bytes"});
  ASSERT_EQ(top.exit_code, 0) << top.err;
  EXPECT_NE(top.out.find("leak_device_block"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("6291456 "), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("leak_pinned_block"), std::string::npos) << top.out;
}

TEST_F(CudaRunTest, AnotherSubscriberIsNamedAndHostMemoryIsStillRecorded) {
  test::ProcessResult result =
      run_process({test::leakspy_binary(), "run", "-o", capture("taken"), test::target_path("cuda_leak"), fake_driver()},
                  60, {"FAKE_CUPTI_HOLDER=Nsight Systems"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("subscribed=0"), std::string::npos) << result.out;
  EXPECT_NE(result.err.find("warning: CUDA memory is not recorded"), std::string::npos) << result.err;

  test::CaptureSummary summary = test::summarize_capture(capture("taken"));
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_EQ(summary.trailer.target_end, capture::TargetEnd::Exited);
  bool named = std::any_of(summary.notes.begin(), summary.notes.end(), [](const capture::NoteRecord& note) {
    return note.severity == capture::NoteSeverity::Warning && note.text.find("\"CUPTI for Nsight Systems\" holds it") !=
                                                                   std::string::npos;
  });
  EXPECT_TRUE(named);
  EXPECT_FALSE(heap_names(capture("taken")).any_cuda());
  // The stand-in driver's host-side buffers: its 10 aligned_alloc'ed "device" blocks, 6 still live.
  EXPECT_EQ(summary.live_with_size(1 << 20).size(), 6u);
}

TEST_F(CudaRunTest, ProcessWithoutCudaIsLeftAlone) {
  test::ProcessResult result = run_process(
      {test::leakspy_binary(), "run", "-o", capture("plain"), test::target_path("cuda_leak"), "--no-cuda"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Nothing of CUDA was loaded into it, by the program or by the agent.
  EXPECT_NE(result.out.find("cupti_mapped=0 cuda_mapped=0"), std::string::npos) << result.out;
  test::CaptureSummary summary = test::summarize_capture(capture("plain"));
  ASSERT_TRUE(summary.has_trailer);
  EXPECT_GE(summary.events_by_kind[static_cast<int>(capture::EventKind::Alloc)], 100u);
  for (const capture::NoteRecord& note : summary.notes) {
    EXPECT_EQ(note.text.find("CUDA"), std::string::npos) << note.text;
    EXPECT_EQ(note.text.find("CUPTI"), std::string::npos) << note.text;
  }
  EXPECT_FALSE(heap_names(capture("plain")).any_cuda());
}

TEST_F(CudaRunTest, AttachRecordsFromThenOnAndStopUnsubscribes) {
  test::BackgroundProcess target({test::target_path("cuda_leak"), fake_driver(), "--attach"});
  ASSERT_TRUE(target.wait_for_output("ready\n"));
  auto recorded = std::async(std::launch::async, [&] {
    return run_process({test::leakspy_binary(), "record", "--pid", std::to_string(target.pid()), "-o",
                        capture("attached"), "--duration", "2"},
                       60);
  });
  ASSERT_TRUE(target.wait_for_output("leaked 6 x 1 MiB", 30)) << target.output();
  EXPECT_NE(target.output().find("subscribed=1"), std::string::npos) << target.output();
  test::ProcessResult result = recorded.get();
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // Recording stopped with the target still running: CUPTI was given back.
  target.write_stdin("report\n");
  // wait() collects the rest of the output: waiting for a line first could
  // reap the target as it exits and lose its status.
  EXPECT_EQ(target.wait(), 0);
  EXPECT_NE(target.output().find("unsubscribe_calls=1"), std::string::npos) << target.output();
  EXPECT_NE(target.output().find("cupti_mapped=1"), std::string::npos) << target.output();

  HeapNames names = heap_names(capture("attached"));
  test::CaptureSummary summary = test::summarize_capture(capture("attached"));
  EXPECT_TRUE(summary.header.attached_mid_run());
  expect_leak(summary, names.id_of("cuda:0"), 1 << 20, 6);
  // The two blocks allocated before the attach and freed after it: unknown, counted, no error.
  EXPECT_GE(summary.unknown_releases, 2u);
}

}  // namespace
}  // namespace leakspy
