#include "analyze/live_set.h"

#include <gtest/gtest.h>

namespace leakspy::analyze {
namespace {

using capture::EventKind;
using capture::EventRecord;

EventRecord event(EventKind kind, uint32_t heap, uint64_t address, uint64_t size = 0, uint32_t stack = 0) {
  return {kind, HeapId(heap), StackId(stack), size, address};
}

struct CountingObserver : LiveSetObserver {
  uint64_t allocated = 0, released = 0, unknown = 0, implicit = 0;
  void on_allocated(HeapId, uint64_t, const LiveBlock& block) { allocated += block.size; }
  void on_released(HeapId, uint64_t, const LiveBlock& block) { released += block.size; }
  void on_unknown_release(HeapId, uint64_t) { ++unknown; }
  void on_implicit_free(HeapId, uint64_t, const LiveBlock& block) { implicit += block.size; }
};

TEST(LiveSet, TracksBlocksPerHeap) {
  LiveSet live;
  CountingObserver observer;
  live.apply(event(EventKind::Alloc, 0, 0x1000, 100, 1), 5, observer);
  live.apply(event(EventKind::Alloc, 2, 0x1000, 40, 2), 6, observer);  // same address, another heap
  EXPECT_TRUE(live.is_live(HeapId(0), 0x1000));
  EXPECT_TRUE(live.is_live(HeapId(2), 0x1000));
  EXPECT_EQ(live.live_bytes(HeapId(0)), 100u);
  EXPECT_EQ(live.live_bytes(HeapId(2)), 40u);
  live.apply(event(EventKind::Free, 0, 0x1000), 7, observer);
  EXPECT_FALSE(live.is_live(HeapId(0), 0x1000));
  EXPECT_EQ(live.live_bytes(HeapId(0)), 0u);
  EXPECT_EQ(observer.released, 100u);
  EXPECT_EQ(live.live_blocks(), 1u);
}

TEST(LiveSet, UnknownReleasesAreCountedNotFatal) {
  LiveSet live;
  CountingObserver observer;
  live.apply(event(EventKind::Free, 0, 0xdead), 1, observer);
  live.apply(event(EventKind::ReallocOut, 0, 0xbeef), 1, observer);
  EXPECT_EQ(live.unknown_releases(), 2u);
  EXPECT_EQ(observer.unknown, 2u);
}

TEST(LiveSet, AllocationOverALiveAddressIsAnImplicitFree) {
  LiveSet live;
  CountingObserver observer;
  live.apply(event(EventKind::Alloc, 0, 0x10, 64, 1), 1, observer);
  live.apply(event(EventKind::Alloc, 0, 0x10, 32, 2), 2, observer);
  EXPECT_EQ(live.implicit_frees(), 1u);
  EXPECT_EQ(observer.implicit, 64u);
  EXPECT_EQ(live.live_bytes(HeapId(0)), 32u);
}

TEST(LiveSet, ReallocMovesTheBlock) {
  LiveSet live;
  live.apply(event(EventKind::Alloc, 0, 0x10, 64, 1), 1);
  live.apply(event(EventKind::ReallocOut, 0, 0x10), 2);
  live.apply(event(EventKind::ReallocIn, 0, 0x20, 128, 3), 2);
  EXPECT_FALSE(live.is_live(HeapId(0), 0x10));
  EXPECT_TRUE(live.is_live(HeapId(0), 0x20));
  EXPECT_EQ(live.live_bytes(HeapId(0)), 128u);
}

TEST(LiveSet, PartialUnmapsSplitMappings) {
  LiveSet live;
  CountingObserver observer;
  const uint32_t mmap = capture::kHeapMmap;
  live.apply(event(EventKind::Alloc, mmap, 0x10000, 0x10000, 4), 1, observer);
  // Punch a hole in the middle, then cut the tail, then unmap what is left.
  live.apply(event(EventKind::FreeRange, mmap, 0x14000, 0x4000), 2, observer);
  EXPECT_EQ(live.live_bytes(HeapId(mmap)), 0xC000u);
  EXPECT_TRUE(live.is_live(HeapId(mmap), 0x10000));
  EXPECT_TRUE(live.is_live(HeapId(mmap), 0x18000));
  live.apply(event(EventKind::FreeRange, mmap, 0x1C000, 0x8000), 3, observer);  // past the end too
  EXPECT_EQ(live.live_bytes(HeapId(mmap)), 0x8000u);
  live.apply(event(EventKind::FreeRange, mmap, 0x0, 0x100000), 4, observer);
  EXPECT_EQ(live.live_bytes(HeapId(mmap)), 0u);
  EXPECT_EQ(live.live_blocks(), 0u);
  EXPECT_EQ(observer.released, 0x10000u);
  EXPECT_EQ(live.unknown_releases(), 0u);
  live.apply(event(EventKind::FreeRange, mmap, 0x0, 0x1000), 5, observer);
  EXPECT_EQ(live.unknown_releases(), 1u);
}

TEST(LiveSet, MappingOverAMappingReplacesIt) {
  LiveSet live;
  const uint32_t mmap = capture::kHeapMmap;
  live.apply(event(EventKind::Alloc, mmap, 0x10000, 0x4000, 1), 1);
  live.apply(event(EventKind::Alloc, mmap, 0x12000, 0x4000, 2), 2);  // MAP_FIXED over half of it
  EXPECT_EQ(live.live_bytes(HeapId(mmap)), 0x6000u);
  EXPECT_EQ(live.live_blocks(), 2u);
}

TEST(LiveSet, VisitsEveryLiveBlockWithItsHeap) {
  LiveSet live;
  live.apply(event(EventKind::Alloc, 0, 0x10, 1, 1), 1);
  live.apply(event(EventKind::Alloc, 5, 0x7f0000001000, 2, 2), 1);
  live.apply(event(EventKind::Alloc, capture::kHeapMmap, 0x7f0000002000, 4096, 3), 1);
  uint64_t total = 0;
  live.for_each([&](HeapId heap, uint64_t address, const LiveBlock& block) {
    total += block.size;
    if (heap.value() == 5) {
      EXPECT_EQ(address, 0x7f0000001000u);
    }
  });
  EXPECT_EQ(total, 4099u);
  auto by_heap = live.live_bytes_by_heap();
  EXPECT_EQ(by_heap.size(), 3u);
}

}  // namespace
}  // namespace leakspy::analyze
