// Time slices: the adaptive recorder against a brute-force series, merging
// exactness, equal slices, and exact snapshots.
#include "analyze/time_slices.h"

#include <gtest/gtest.h>

#include <random>

namespace leakspy::analyze {
namespace {

struct Change {
  uint64_t time;
  uint32_t stack;
  uint64_t value;
};

// Random walks of three stacks over `end` time units, in time order.
std::vector<Change> random_changes(uint64_t end, size_t count, uint32_t seed) {
  std::mt19937_64 random(seed);
  std::vector<Change> changes;
  uint64_t values[3] = {};
  for (size_t i = 0; i < count; ++i) {
    uint64_t time = end * i / count + random() % 3;
    uint32_t stack = static_cast<uint32_t>(random() % 3);
    uint64_t step = random() % 1000;
    values[stack] = random() % 3 == 0 && values[stack] >= step ? values[stack] - step : values[stack] + step;
    changes.push_back({std::min(time, end), stack, values[stack]});
  }
  return changes;
}

// The series of `stack` with slices [k * width, (k + 1) * width), by brute force.
std::vector<SliceLive> brute_force(const std::vector<Change>& changes, uint32_t stack, uint64_t width, uint32_t count) {
  std::vector<SliceLive> series(count);
  uint64_t value = 0;
  size_t next = 0;
  for (uint32_t slice = 0; slice < count; ++slice) {
    SliceLive live{value, value, value};
    while (next < changes.size() && changes[next].time < (slice + 1) * width) {
      if (changes[next].stack == stack) {
        value = changes[next].value;
        live.low = std::min(live.low, value);
        live.high = std::max(live.high, value);
        live.end = value;
      }
      ++next;
    }
    series[slice] = live;
  }
  return series;
}

void expect_equal(const std::vector<SliceLive>& actual, const std::vector<SliceLive>& expected, uint32_t stack) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i].low, expected[i].low) << "stack " << stack << " slice " << i;
    EXPECT_EQ(actual[i].high, expected[i].high) << "stack " << stack << " slice " << i;
    EXPECT_EQ(actual[i].end, expected[i].end) << "stack " << stack << " slice " << i;
  }
}

TEST(TimeSlices, FixedLengthSlicesMatchABruteForceSeries) {
  std::vector<Change> changes = random_changes(100'000, 5000, 1);
  SlicePlan plan;
  plan.every_seconds = 1e-3;  // 1000 units of 1 µs
  SliceRecorder recorder(plan, 1000);
  for (const Change& change : changes) recorder.update(change.stack, change.value, 0, 0, 0, change.time);
  TimeSlices slices = recorder.finish(100'000);
  EXPECT_EQ(slices.count(), 101u);  // [0, 100000] in slices of 1000
  EXPECT_DOUBLE_EQ(slices.slice_units(), 1000);
  for (uint32_t stack = 0; stack < 3; ++stack) {
    expect_equal(slices.stack_series(stack), brute_force(changes, stack, 1000, slices.count()), stack);
  }
}

TEST(TimeSlices, MergingNeighboursIsExact) {
  // --every 1 unit over 300,000 units: more than the cap of fine slices, so
  // the width doubles until they fit; the series must equal the brute force
  // one at the final width.
  std::vector<Change> changes = random_changes(300'000, 20'000, 2);
  SlicePlan plan;
  plan.every_seconds = 1e-6;
  SliceRecorder recorder(plan, 1000);
  for (const Change& change : changes) recorder.update(change.stack, change.value, 0, 0, 0, change.time);
  TimeSlices slices = recorder.finish(300'000);
  auto width = static_cast<uint64_t>(slices.slice_units());
  EXPECT_EQ(width, 8u) << "doubled from 1 until 300,000 units fit in 65,536 slices";
  for (uint32_t stack = 0; stack < 3; ++stack) {
    expect_equal(slices.stack_series(stack), brute_force(changes, stack, width, slices.count()), stack);
  }
}

TEST(TimeSlices, EqualSlicesCoverTheRecordingWithoutKnowingItsLengthAhead) {
  std::vector<Change> changes = random_changes(1'234'567, 30'000, 3);
  SlicePlan plan;
  plan.slices = 30;
  SliceRecorder recorder(plan, 1000);
  uint64_t highest[3] = {};
  for (const Change& change : changes) {
    recorder.update(change.stack, change.value, 0, 0, 0, change.time);
    highest[change.stack] = std::max(highest[change.stack], change.value);
  }
  TimeSlices slices = recorder.finish(1'234'567);
  ASSERT_EQ(slices.count(), 30u);
  // Every slice within 1/16 of the ideal length.
  EXPECT_GE(slices.covered_units(), 1'234'567);
  EXPECT_LE(slices.covered_units(), 1'234'567 * (1 + 1.0 / 16 / 30) + 1);
  for (uint32_t stack = 0; stack < 3; ++stack) {
    std::vector<SliceLive> series = slices.stack_series(stack);
    uint64_t high = 0;
    for (size_t i = 0; i < series.size(); ++i) {
      EXPECT_LE(series[i].low, series[i].end);
      EXPECT_LE(series[i].end, series[i].high);
      if (i > 0) {
        EXPECT_LE(series[i].low, series[i - 1].end) << "a slice starts where the last one ended";
      }
      high = std::max(high, series[i].high);
    }
    EXPECT_EQ(high, highest[stack]);
    uint64_t last = 0;
    for (const Change& change : changes) last = change.stack == stack ? change.value : last;
    EXPECT_EQ(series.back().end, last);
  }
}

TEST(TimeSlices, SeriesOfSeveralStacksAddUp) {
  SlicePlan plan;
  plan.every_seconds = 1e-3;
  SliceRecorder recorder(plan, 1000);
  recorder.update(1, 100, 0, 100, 100, 10);
  recorder.update(2, 50, 0, 150, 150, 1500);
  recorder.update(1, 0, 0, 50, 50, 2500);
  TimeSlices slices = recorder.finish(2999);
  std::vector<SliceLive> sum(slices.count());
  slices.add_stack_series(1, sum);
  slices.add_stack_series(2, sum);
  ASSERT_EQ(sum.size(), 3u);
  EXPECT_EQ(sum[0].end, 100u);
  EXPECT_EQ(sum[1].end, 150u);
  EXPECT_EQ(sum[2].end, 50u);
  EXPECT_EQ(sum[2].low, 50u);  // stack 1's low 0 + stack 2's 50
  EXPECT_EQ(sum[2].high, 150u);
  std::vector<SliceLive> heap = slices.heap_series(0);
  EXPECT_EQ(heap[1].low, 100u);
  EXPECT_EQ(heap[1].high, 150u);
  EXPECT_EQ(slices.total_series()[2].end, 50u);
}

TEST(TimeSlices, SnapshotsHoldEveryEventUpToTheirMoment) {
  SlicePlan plan;
  plan.slices = 4;
  plan.snapshot_seconds = {2e-3, 1e-3, 10.0};  // in any order; the last after every event
  SliceRecorder recorder(plan, 1000);
  uint64_t live[3] = {};
  auto apply = [&](uint64_t time, uint32_t stack, uint64_t value) {
    while (time > recorder.next_snapshot_time()) recorder.take_snapshot(3, [&](size_t s) { return live[s]; });
    live[stack] = value;
    recorder.update(stack, value, 0, 0, 0, time);
  };
  apply(500, 1, 10);
  apply(1000, 1, 20);  // at exactly 1 ms: in the 1 ms snapshot
  apply(1001, 2, 5);
  apply(2500, 1, 0);
  while (recorder.snapshots_left()) recorder.take_snapshot(3, [&](size_t s) { return live[s]; });
  TimeSlices slices = recorder.finish(3000);
  ASSERT_EQ(slices.snapshot_count(), 3u);
  EXPECT_EQ(slices.snapshot(0), (std::vector<uint64_t>{0, 20, 5}));  // 2 ms
  EXPECT_EQ(slices.snapshot(1), (std::vector<uint64_t>{0, 20, 0}));  // 1 ms
  EXPECT_EQ(slices.snapshot(2), (std::vector<uint64_t>{0, 0, 5}));   // the end
}

}  // namespace
}  // namespace leakspy::analyze
