#pragma once
// Time-sliced live bytes, recorded in the same single pass that builds the
// report model: per stack (trace tree node), per heap and for the counted
// heaps' total, the lowest, highest and last live-bytes value of every slice
// (SliceLive, growth_verdict.h), and optional exact per-stack snapshots at
// chosen moments (`flamegraph --diff --from T1 --to T2`).
//
// The recording's length is known only at its end (the trailer), so slices
// are cut adaptively: events land in fine slices of a width that doubles,
// merging neighbours pairwise, whenever their number would exceed a cap.
// Merging is exact for (low, high, end). At the end the fine slices are
// grouped into the requested number of equal slices (each one holds the same
// number of fine slices, give or take one: at least 16 of them, so the slice
// boundaries are within 1/16 of a slice of the ideal ones).
//
// Memory: a stack has an entry only for the slices in which its live bytes
// changed, so it is bounded by (stacks + heaps) x slices, whatever the number
// of events. Not thread-safe: SliceRecorder lives on the replaying thread.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "analyze/growth_verdict.h"

namespace leakspy::analyze {

// What to slice; times in seconds since the start of recording.
struct SlicePlan {
  uint32_t slices = 0;                   // this many equal slices over the recording
  double every_seconds = 0;              // or: slices of this length (slices == 0)
  std::vector<double> snapshot_seconds;  // per-stack live bytes at these moments, in any order
  bool enabled() const { return slices > 0 || every_seconds > 0 || !snapshot_seconds.empty(); }
};

// The finished slices. Plain data, read-only.
class TimeSlices {
 public:
  // A series is stored sparsely: one entry per slice in which it changed.
  struct Entry {
    uint32_t slice = 0;
    SliceLive live;
  };
  using Sparse = std::vector<Entry>;

  uint32_t count() const { return count_; }
  double slice_units() const { return slice_units_; }  // time units per slice
  double covered_units() const { return slice_units_ * count_; }

  // The dense series of one stack, heap, or the counted heaps together
  // (count() slices; zeros for one never seen).
  std::vector<SliceLive> stack_series(uint32_t stack) const;
  std::vector<SliceLive> heap_series(uint32_t heap) const;
  const std::vector<SliceLive>& total_series() const { return total_; }
  // Adds a stack's series slice by slice to `sum` (count() slices): the
  // lows and highs of several stacks add up to a lower and an upper bound of
  // the lows and highs of their sum; the ends add up exactly.
  void add_stack_series(uint32_t stack, std::vector<SliceLive>& sum) const;
  size_t stacks() const { return stacks_.size(); }
  bool heap_seen(uint32_t heap) const { return heap < heaps_.size() && !heaps_[heap].empty(); }

  // Per-stack live bytes at plan.snapshot_seconds[i] (after every event up to
  // and including that moment), indexed by stack id.
  const std::vector<uint64_t>& snapshot(size_t i) const { return snapshots_[i]; }
  size_t snapshot_count() const { return snapshots_.size(); }

 private:
  friend class SliceRecorder;
  static void fill(const Sparse& entries, std::span<SliceLive> out, bool add);

  uint32_t count_ = 0;
  double slice_units_ = 0;
  std::vector<Sparse> stacks_;
  std::vector<Sparse> heaps_;
  std::vector<SliceLive> total_;
  std::vector<std::vector<uint64_t>> snapshots_;
};

// Records changes of live bytes as they happen, in time order.
class SliceRecorder {
 public:
  // `time_unit_ns`: the capture's time unit (header).
  SliceRecorder(const SlicePlan& plan, uint64_t time_unit_ns);

  // The live bytes of `stack`, `heap` and of the counted heaps' total are now
  // these values, at `time`. Times never decrease.
  void update(uint32_t stack, uint64_t stack_live, uint32_t heap, uint64_t heap_live, uint64_t total_live,
              uint64_t time) {
    uint32_t slice = slice_of(time);
    if (stack >= stacks_.size()) stacks_.resize(std::max<size_t>(stack + 1, stacks_.size() * 2));
    if (heap >= heaps_.size()) heaps_.resize(heap + 1);
    record(stacks_[stack], slice, stack_live);
    record(heaps_[heap], slice, heap_live);
    record(total_, slice, total_live);
  }

  // The next snapshot moment not yet taken (UINT64_MAX: none left).
  uint64_t next_snapshot_time() const {
    return next_snapshot_ < snapshot_order_.size() ? snapshot_times_[snapshot_order_[next_snapshot_]] : UINT64_MAX;
  }
  bool snapshots_left() const { return next_snapshot_ < snapshot_order_.size(); }
  // Takes the next snapshot: `live(stack)` for every stack id below `stacks`.
  template <typename Live>
  void take_snapshot(size_t stacks, Live&& live) {
    std::vector<uint64_t>& values = snapshots_[snapshot_order_[next_snapshot_++]];
    values.resize(stacks);
    for (size_t stack = 0; stack < stacks; ++stack) values[stack] = live(stack);
    snapshot_bytes_ += stacks * sizeof(uint64_t);
  }

  // About how many bytes the slices recorded so far take (read_budget.h).
  uint64_t memory_bytes() const {
    return entries_ * sizeof(Sparse::value_type) + (stacks_.capacity() + heaps_.capacity()) * sizeof(Sparse) +
           snapshot_bytes_;
  }

  // The slices of a recording that ended at `end_time`. Snapshots not taken
  // yet (moments after the last event) must be taken before.
  TimeSlices finish(uint64_t end_time);

 private:
  using Sparse = TimeSlices::Sparse;
  uint32_t slice_of(uint64_t time) {
    uint64_t slice = time / width_;
    while (slice >= cap_) {
      merge_pairs();
      slice = time / width_;
    }
    return static_cast<uint32_t>(slice);
  }
  void record(Sparse& entries, uint32_t slice, uint64_t value) {
    if (entries.empty() || entries.back().slice != slice) {
      uint64_t before = entries.empty() ? 0 : entries.back().live.end;  // carried into this slice
      entries.push_back({slice, {std::min(before, value), std::max(before, value), value}});
      ++entries_;
      return;
    }
    SliceLive& live = entries.back().live;
    live.low = std::min(live.low, value);
    live.high = std::max(live.high, value);
    live.end = value;
  }
  void merge_pairs();
  static void regroup(Sparse& entries, std::span<const uint32_t> group_of_fine);

  uint32_t requested_ = 0;  // equal slices wanted (0: fixed width)
  uint64_t width_ = 1;      // time units per fine slice
  uint64_t cap_ = 0;        // fine slices at most
  std::vector<Sparse> stacks_;
  std::vector<Sparse> heaps_;
  Sparse total_;
  std::vector<uint64_t> snapshot_times_;
  std::vector<size_t> snapshot_order_;  // indexes into snapshot_times_, by time
  size_t next_snapshot_ = 0;
  std::vector<std::vector<uint64_t>> snapshots_;
  uint64_t entries_ = 0;  // in stacks_, heaps_ and total_
  uint64_t snapshot_bytes_ = 0;
};

}  // namespace leakspy::analyze
