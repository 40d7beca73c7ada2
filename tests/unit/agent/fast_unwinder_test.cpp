// The fast unwinder against libunwind, on the same stacks.
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <signal.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <thread>

#include "agent/agent_memory.h"
#include "agent/agent_state.h"
#include "agent/fast_unwinder.h"
#include "tests/unit/agent/unwinder_stacks.h"

namespace leakspy::agent {
namespace {

using test::StackSample;

thread_local UnwindCache* thread_cache = nullptr;

UnwindCache& cache_for_this_thread() {
  if (thread_cache == nullptr) thread_cache = static_cast<UnwindCache*>(map_pages(sizeof(UnwindCache)));
  return *thread_cache;
}

std::vector<uintptr_t> frames_of(uint32_t node) {
  std::vector<uintptr_t> frames;
  while (node != 0) {
    wire::WireNode record;
    if (!traces.read_node(node, &record)) break;
    frames.push_back(record.frame);
    node = record.parent;
  }
  return frames;
}

// Unwinds from its caller both ways. noinline and frame-pointer based (this
// file is built like the agent), so LEAKSPY_CALLER_FRAME sees the caller.
__attribute__((noinline)) StackSample probe() {
  CallerFrame caller = LEAKSPY_CALLER_FRAME();
  StackSample sample;
  uint32_t node = 0;
  sample.fast_ok = unwind_and_intern(caller.return_address, caller.rsp, caller.rbp, cache_for_this_thread(), &node);
  if (sample.fast_ok) sample.fast = frames_of(node);
  void* raw[512];
  int count = unw_backtrace(raw, 512);
  int first = 0;
  while (first < count && reinterpret_cast<uintptr_t>(raw[first]) != caller.return_address) ++first;
  for (int i = first; i < count; ++i) sample.reference.push_back(reinterpret_cast<uintptr_t>(raw[i]));
  return sample;
}

void expect_same(const StackSample& sample) {
  ASSERT_TRUE(sample.fast_ok) << "the fast unwinder gave up";
  ASSERT_FALSE(sample.reference.empty()) << "libunwind did not reach the caller";
  ASSERT_GE(sample.fast.size(), 3u);
  // libunwind may stop one frame earlier or later at the very bottom (_start);
  // everything above must agree exactly.
  size_t common = std::min(sample.fast.size(), sample.reference.size());
  ASSERT_GE(common + 1, std::max(sample.fast.size(), sample.reference.size()));
  for (size_t i = 0; i < common; ++i) EXPECT_EQ(sample.fast[i], sample.reference[i]) << "frame " << i;
}

__attribute__((noinline)) StackSample recurse_with_frame_pointer(int depth) {
  if (depth == 0) return probe();
  StackSample sample = recurse_with_frame_pointer(depth - 1);
  sample.checksum += depth;
  return sample;
}

class FastUnwinder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(traces.init());
    ASSERT_TRUE(init_fast_unwinder());
  }
};

TEST_F(FastUnwinder, AgreesWithLibunwindAtEveryDepth) {
  for (int depth : {0, 1, 5, 30, 100}) {
    SCOPED_TRACE(depth);
    expect_same(recurse_with_frame_pointer(depth));
    expect_same(test::recurse_without_frame_pointer(depth, probe));
  }
}

TEST_F(FastUnwinder, ReusesTheCachedStackAndStaysRight) {
  // The same call site over and over: after the first walk only the
  // verification runs, and the answer must not change.
  std::vector<StackSample> samples;
  for (int i = 0; i < 100; ++i) samples.push_back(test::recurse_without_frame_pointer(20, probe));
  expect_same(samples.front());
  for (const StackSample& again : samples) ASSERT_EQ(again.fast, samples.front().fast);
}

__attribute__((noinline)) StackSample path_a(int depth) {
  StackSample sample = test::recurse_without_frame_pointer(depth, probe);
  sample.checksum += 1;
  return sample;
}
__attribute__((noinline)) StackSample path_b(int depth) {
  StackSample sample = test::recurse_without_frame_pointer(depth, probe);
  sample.checksum += 2;
  return sample;
}

TEST_F(FastUnwinder, NoticesWhenTheOuterStackChangedUnderAnIdenticalInnerPart) {
  // Same depth, same inner frames, different frame further out: the cached
  // frames match at the junction but one return-address slot differs.
  for (int i = 0; i < 20; ++i) {
    StackSample a = path_a(10);
    StackSample b = path_b(10);
    expect_same(a);
    expect_same(b);
    ASSERT_NE(a.fast, b.fast);
  }
}

TEST_F(FastUnwinder, ThroughLibcAndLibstdcxxCallbacks) {
  static StackSample captured;
  int values[] = {3, 1, 2};
  qsort(values, 3, sizeof(int), [](const void* a, const void* b) {
    captured = probe();
    return *static_cast<const int*>(a) - *static_cast<const int*>(b);
  });
  expect_same(captured);
  std::function<StackSample()> through_function = [] { return test::recurse_without_frame_pointer(3, probe); };
  expect_same(through_function());
}

TEST_F(FastUnwinder, ThroughAStackRealigningFrame) { expect_same(test::realigned_frame(probe)); }

TEST_F(FastUnwinder, OnOtherThreads) {
  StackSample sample;
  std::thread worker([&] { sample = test::recurse_without_frame_pointer(7, probe); });
  worker.join();
  expect_same(sample);
}

StackSample in_handler;

TEST_F(FastUnwinder, DeclinesSignalFramesInsteadOfGuessing) {
  struct sigaction action {};
  action.sa_handler = [](int) { in_handler = probe(); };
  sigaction(SIGUSR1, &action, nullptr);
  raise(SIGUSR1);
  signal(SIGUSR1, SIG_DFL);
  if (in_handler.fast_ok) {
    // Whatever it returned must be a correct prefix: it stopped before the
    // signal frame, it did not invent frames.
    for (size_t i = 0; i < in_handler.fast.size() && i < in_handler.reference.size(); ++i) {
      EXPECT_EQ(in_handler.fast[i], in_handler.reference[i]);
    }
    EXPECT_LE(in_handler.fast.size(), in_handler.reference.size());
  }
}

}  // namespace
}  // namespace leakspy::agent
