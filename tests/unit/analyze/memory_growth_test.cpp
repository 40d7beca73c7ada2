// Why RSS grows (issue 17): the cause from RSS, the recorded live bytes and
// glibc's accounting over 20 s synthetic recordings, and the split of one
// sample.
#include "analyze/memory_growth.h"

#include <gtest/gtest.h>

#include "tests/unit/analyze/trend_model_fixture.h"

namespace leakspy::analyze {
namespace {

constexpr uint64_t kMiB = 1u << 20;

// 20 s, a sample every 100 ms: RSS, live bytes and glibc's free bytes each
// start at their base and rise by their step a sample.
struct MemoryTrend {
  uint64_t rss_step = 0;
  uint64_t live_step = 0;
  uint64_t free_step = 0;
  bool allocator = true;
};

class MemoryGrowthTest : public TrendModelTest {
 protected:
  MemoryGrowth analyze(const MemoryTrend& trend) {
    std::string file = path("memory.lspy");
    {
      test::TrendCapture capture(file, {});
      for (uint64_t step = 0; step < 200; ++step) {
        uint64_t live = 4 * kMiB + step * trend.live_step;
        capture::AllocatorRecord allocator;
        allocator.heap_bytes = 8 * kMiB + step * (trend.live_step + trend.free_step);
        allocator.in_use_bytes = live + 64 * 1024;
        allocator.free_bytes = 2 * kMiB + step * trend.free_step;
        allocator.releasable_bytes = 128 * 1024;
        capture.memory(static_cast<double>(step) * 0.1, 20 * kMiB + step * trend.rss_step, live,
                       trend.allocator ? &allocator : nullptr);
      }
      capture.finish(20.0);
    }
    CaptureModel model = read(file);
    return analyze_memory_growth(model, {});
  }
};

TEST_F(MemoryGrowthTest, RssRisingWithFreeChunksIsAllocatorRetention) {
  MemoryGrowth memory = analyze({.rss_step = 100'000, .live_step = 0, .free_step = 90'000});
  EXPECT_EQ(memory.cause, RssCause::AllocatorRetention) << memory.reason;
  EXPECT_NEAR(memory.rss.slope, 1e6, 1e4);
  EXPECT_NEAR(memory.retained.slope, 9e5, 1e4);
  EXPECT_NE(memory.advice.find("MALLOC_TRIM_THRESHOLD_"), std::string::npos);
  EXPECT_NE(memory.reason.find("not from live allocations"), std::string::npos) << memory.reason;
}

TEST_F(MemoryGrowthTest, RssRisingWithLiveBytesIsALeak) {
  MemoryGrowth memory = analyze({.rss_step = 100'000, .live_step = 95'000, .free_step = 0});
  EXPECT_EQ(memory.cause, RssCause::LiveAllocations) << memory.reason;
  EXPECT_STREQ(rss_cause_name(memory.cause), "leak");
  EXPECT_TRUE(memory.advice.empty());
}

TEST_F(MemoryGrowthTest, RssRisingOutsideHeapAndAllocatorIsUntracked) {
  MemoryGrowth memory = analyze({.rss_step = 100'000, .live_step = 0, .free_step = 0});
  EXPECT_EQ(memory.cause, RssCause::Untracked) << memory.reason;
}

TEST_F(MemoryGrowthTest, WithoutAllocatorAccountingGrowthIsUnexplained) {
  MemoryGrowth memory = analyze({.rss_step = 100'000, .live_step = 0, .free_step = 90'000, .allocator = false});
  EXPECT_EQ(memory.cause, RssCause::Unexplained) << memory.reason;
  EXPECT_FALSE(memory.has_allocator);
}

TEST_F(MemoryGrowthTest, FlatRssIsNotGrowingWhateverTheParts) {
  // Under 1 MiB over 20 s: pages, not growth.
  MemoryGrowth memory = analyze({.rss_step = 4'000, .live_step = 0, .free_step = 4'000});
  EXPECT_EQ(memory.cause, RssCause::NotGrowing) << memory.reason;
}

TEST_F(MemoryGrowthTest, CaptureWithoutSamplesSaysSo) {
  std::string file = path("empty.lspy");
  {
    test::TrendCapture capture(file, {});
    capture.finish(20.0);
  }
  CaptureModel model = read(file);
  EXPECT_EQ(analyze_memory_growth(model, {}).cause, RssCause::NoSamples);
  EXPECT_FALSE(memory_at_end(model).has_value());
}

TEST(MemorySplitTest, PartsComeFromTheRecordingAndGlibcAndTheRestIsWhatIsLeft) {
  RssSample sample;
  sample.bytes = 100 * kMiB;
  sample.malloc_live_bytes = 10 * kMiB;
  sample.mmap_live_bytes = 5 * kMiB;
  sample.has_allocator = true;
  sample.allocator.in_use_bytes = 11 * kMiB;  // headers and thread caches: 1 MiB past the live blocks
  sample.allocator.mmapped_bytes = 2 * kMiB;  // large blocks: live malloc blocks too
  sample.allocator.free_bytes = 60 * kMiB;
  sample.allocator.releasable_bytes = 1 * kMiB;
  MemorySplit split = split_memory(sample);
  EXPECT_EQ(split.live_heap, 10 * kMiB);
  EXPECT_EQ(split.mmap, 5 * kMiB);
  EXPECT_EQ(split.allocator_free, 60 * kMiB);
  EXPECT_EQ(split.allocator_other, 3 * kMiB);
  EXPECT_EQ(split.releasable, 1 * kMiB);
  EXPECT_EQ(split.rest, 22 * kMiB);

  sample.bytes = 50 * kMiB;  // less than the parts: address space is not all resident
  EXPECT_EQ(split_memory(sample).rest, 0u);
}

TEST(SliceSamplesTest, EachSliceHoldsItsLowHighAndLastAndEmptySlicesKeepTheLastValue) {
  std::vector<SliceLive> series = slice_samples({0.2, 0.7, 2.5, 2.6}, {10, 4, 30, 20}, 4);
  ASSERT_EQ(series.size(), 4u);
  EXPECT_EQ(series[0].low, 4u);
  EXPECT_EQ(series[0].high, 10u);
  EXPECT_EQ(series[0].end, 4u);
  EXPECT_EQ(series[1].low, 4u);  // no sample: the last before it
  EXPECT_EQ(series[1].end, 4u);
  EXPECT_EQ(series[2].low, 20u);
  EXPECT_EQ(series[2].high, 30u);
  EXPECT_EQ(series[3].end, 20u);
  EXPECT_EQ(slice_samples({5.0}, {1}, 4)[0].end, 1u) << "a sample past the slices is the teardown";
}

}  // namespace
}  // namespace leakspy::analyze
