// Reserved vs allocated: GpuLevelTally keeps the live and peak bytes of
// every GPU heap apart, whatever a report counts.
#include "analyze/gpu_levels.h"

#include <gtest/gtest.h>

namespace leakspy::analyze {
namespace {

using capture::EventKind;

TEST(GpuLevels, SegmentsAndTensorsAreTalliedApartAndOtherHeapsNotAtAll) {
  GpuLevelTally tally;
  tally.declare(0, "malloc");
  tally.declare(2, "cuda:0");
  tally.declare(3, "cuda:0/torch");
  tally.declare(4, "cuda:0/mapped");
  // A 20 MiB segment holding two 4 MiB tensors; one tensor is freed.
  tally.on_event(2, EventKind::Alloc, 0x7f0000000000, 20 << 20);
  tally.on_event(3, EventKind::Alloc, 0x7f0000000000, 4 << 20);
  tally.on_event(3, EventKind::Alloc, 0x7f0000400000, 4 << 20);
  tally.on_event(3, EventKind::Free, 0x7f0000000000, 0);
  tally.on_event(0, EventKind::Alloc, 0x1000, 64);
  tally.on_event(4, EventKind::FreeRange, 0x7f0000000000, 1 << 20);

  std::vector<GpuHeapLevel> levels = tally.levels();
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].heap, "cuda:0");
  EXPECT_TRUE(levels[0].level.starts_with("segments"));
  EXPECT_EQ(levels[0].live_bytes, 20u << 20);
  EXPECT_EQ(levels[1].heap, "cuda:0/torch");
  EXPECT_TRUE(levels[1].level.starts_with("tensors"));
  EXPECT_EQ(levels[1].live_bytes, 4u << 20);
  EXPECT_EQ(levels[1].peak_bytes, 8u << 20);
}

TEST(GpuLevels, FreesOfBlocksFromBeforeTheRecordingAndReusedAddressesDoNotSkewTheTotals) {
  GpuLevelTally tally;
  tally.declare(5, "cuda:1/torch");
  tally.on_event(5, EventKind::Free, 0x5000, 0);  // allocated before the attach
  tally.on_event(5, EventKind::Alloc, 0x6000, 512);
  tally.on_event(5, EventKind::Alloc, 0x6000, 1024);  // over a live block: the first one ended
  std::vector<GpuHeapLevel> levels = tally.levels();
  ASSERT_EQ(levels.size(), 1u);
  EXPECT_EQ(levels[0].live_bytes, 1024u);
  EXPECT_EQ(levels[0].peak_bytes, 1024u);
}

}  // namespace
}  // namespace leakspy::analyze
