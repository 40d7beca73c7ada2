// The lock-free trace tree under concurrent interning.
#include "agent/trace_table.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "agent/agent_state.h"

namespace leakspy::agent {
namespace {

std::vector<uintptr_t> frames_of(const TraceTable& table, uint32_t node) {
  std::vector<uintptr_t> frames;
  while (node != 0) {
    wire::WireNode record;
    if (!table.read_node(node, &record)) return {};
    frames.push_back(record.frame);
    node = record.parent;
  }
  return frames;
}

// Stack k: a shared outer part and a few frames of its own, innermost first.
std::vector<uintptr_t> stack(uint32_t k) {
  std::vector<uintptr_t> frames = {0x7000 + k % 7, 0x6000 + k % 13, 0x5000 + k % 3};
  for (uintptr_t outer = 0x1000; outer < 0x1010; ++outer) frames.push_back(outer);
  return frames;
}

TEST(TraceTable, ThreadsInterningTheSameStacksAgreeOnTheirIds) {
  static TraceTable table;
  ASSERT_TRUE(table.init());
  constexpr int kThreads = 4;
  constexpr uint32_t kStacks = 5000;
  std::vector<std::vector<uint32_t>> ids(kThreads, std::vector<uint32_t>(kStacks));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint32_t i = 0; i < kStacks; ++i) {
        uint32_t k = (i * 7919 + static_cast<uint32_t>(t) * 104729) % kStacks;  // each thread in its own order
        std::vector<uintptr_t> frames = stack(k);
        ids[t][k] = table.intern(frames.data(), static_cast<uint32_t>(frames.size()));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (uint32_t k = 0; k < kStacks; ++k) {
    ASSERT_NE(ids[0][k], 0u);
    for (int t = 1; t < kThreads; ++t) ASSERT_EQ(ids[t][k], ids[0][k]) << "stack " << k;
    ASSERT_EQ(frames_of(table, ids[0][k]), stack(k)) << "stack " << k;
  }
  // Only distinct edges: 16 shared outer frames, then (k%3, k%13, k%7) combinations.
  EXPECT_LT(table.node_count(), 16u + 3u + 3u * 13u + 3u * 13u * 7u + 64u) << "duplicate edges stay rare";
}

TEST(TraceTable, EdgesAreFoundAgainAndTheEmptyStackIsZero) {
  static TraceTable table;
  ASSERT_TRUE(table.init());
  EXPECT_EQ(table.intern(nullptr, 0), 0u);
  uint32_t a = table.intern_edge(0, 0x1234);
  uint32_t b = table.intern_edge(a, 0x5678);
  EXPECT_EQ(table.intern_edge(0, 0x1234), a);
  EXPECT_EQ(table.intern_edge(a, 0x5678), b);
  EXPECT_NE(table.intern_edge(b, 0x1234), a) << "the same frame under another parent is another node";
  uintptr_t frames[] = {0x5678, 0x1234};
  EXPECT_EQ(table.intern(frames, 2), b);
}

}  // namespace
}  // namespace leakspy::agent
