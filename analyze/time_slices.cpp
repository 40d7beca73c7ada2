#include "analyze/time_slices.h"

#include <numeric>

namespace leakspy::analyze {

namespace {

// Renumbers the entries' slices with `group(slice)` (monotonic), combining
// the entries that land in one slice: the lowest low, the highest high, the
// last end. Exact: each entry's low and high include the value carried into
// its slice, and between entries the value does not change.
template <typename Group>
void combine(std::vector<TimeSlices::Entry>& entries, Group&& group) {
  size_t kept = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    TimeSlices::Entry entry = entries[i];
    entry.slice = group(entry.slice);
    if (kept > 0 && entries[kept - 1].slice == entry.slice) {
      SliceLive& into = entries[kept - 1].live;
      into.low = std::min(into.low, entry.live.low);
      into.high = std::max(into.high, entry.live.high);
      into.end = entry.live.end;
    } else {
      entries[kept++] = entry;
    }
  }
  entries.resize(kept);
}

}  // namespace

void TimeSlices::fill(const Sparse& entries, std::span<SliceLive> out, bool add) {
  uint64_t carry = 0;
  size_t next = 0;
  for (size_t slice = 0; slice < out.size(); ++slice) {
    SliceLive value{carry, carry, carry};
    if (next < entries.size() && entries[next].slice == slice) {
      value = entries[next++].live;
      carry = value.end;
    }
    if (add) {
      out[slice].low += value.low;
      out[slice].high += value.high;
      out[slice].end += value.end;
    } else {
      out[slice] = value;
    }
  }
}

std::vector<SliceLive> TimeSlices::stack_series(uint32_t stack) const {
  std::vector<SliceLive> series(count_);
  if (stack < stacks_.size()) fill(stacks_[stack], series, false);
  return series;
}

std::vector<SliceLive> TimeSlices::heap_series(uint32_t heap) const {
  std::vector<SliceLive> series(count_);
  if (heap < heaps_.size()) fill(heaps_[heap], series, false);
  return series;
}

void TimeSlices::add_stack_series(uint32_t stack, std::vector<SliceLive>& sum) const {
  if (stack < stacks_.size())
    fill(stacks_[stack], std::span<SliceLive>(sum.data(), std::min<size_t>(sum.size(), count_)), true);
}

SliceRecorder::SliceRecorder(const SlicePlan& plan, uint64_t time_unit_ns) {
  auto units = [&](double seconds) {
    double value = seconds * 1e9 / static_cast<double>(std::max<uint64_t>(time_unit_ns, 1));
    return value <= 0 ? uint64_t{0} : value >= 1.8e19 ? UINT64_MAX : static_cast<uint64_t>(value);
  };
  for (double seconds : plan.snapshot_seconds) snapshot_times_.push_back(units(seconds));
  if (plan.slices > 0 || plan.every_seconds <= 0) {
    requested_ = std::max<uint32_t>(plan.slices, 1);
    width_ = 1;
    cap_ = 32ull * requested_;  // after a merge, at least 16 fine slices per slice
  } else {
    width_ = std::max<uint64_t>(units(plan.every_seconds), 1);
    cap_ = 1u << 16;  // a too short --every is widened rather than fill memory
  }
  snapshot_order_.resize(snapshot_times_.size());
  std::iota(snapshot_order_.begin(), snapshot_order_.end(), size_t{0});
  std::stable_sort(snapshot_order_.begin(), snapshot_order_.end(),
                   [&](size_t a, size_t b) { return snapshot_times_[a] < snapshot_times_[b]; });
  snapshots_.resize(snapshot_times_.size());
}

void SliceRecorder::merge_pairs() {
  width_ *= 2;
  auto half = [](uint32_t slice) { return slice / 2; };
  for (Sparse& entries : stacks_) combine(entries, half);
  for (Sparse& entries : heaps_) combine(entries, half);
  combine(total_, half);
  entries_ = total_.size();
  for (const Sparse& entries : stacks_) entries_ += entries.size();
  for (const Sparse& entries : heaps_) entries_ += entries.size();
}

void SliceRecorder::regroup(Sparse& entries, std::span<const uint32_t> group_of_fine) {
  combine(entries, [&](uint32_t slice) { return group_of_fine[slice]; });
}

TimeSlices SliceRecorder::finish(uint64_t end_time) {
  uint32_t fine = slice_of(end_time) + 1;  // the fine slices that cover [0, end_time]
  TimeSlices result;
  if (requested_ > 0) {
    uint32_t count = std::min(requested_, fine);
    std::vector<uint32_t> group_of_fine(fine);
    for (uint32_t slice = 0; slice < fine; ++slice) {
      group_of_fine[slice] = static_cast<uint32_t>(static_cast<uint64_t>(slice) * count / fine);
    }
    for (Sparse& entries : stacks_) regroup(entries, group_of_fine);
    for (Sparse& entries : heaps_) regroup(entries, group_of_fine);
    regroup(total_, group_of_fine);
    result.count_ = count;
    result.slice_units_ = static_cast<double>(fine) * static_cast<double>(width_) / count;
  } else {
    result.count_ = fine;
    result.slice_units_ = static_cast<double>(width_);
  }
  result.stacks_ = std::move(stacks_);
  result.heaps_ = std::move(heaps_);
  result.total_.resize(result.count_);
  TimeSlices::fill(total_, result.total_, false);
  result.snapshots_ = std::move(snapshots_);
  return result;
}

}  // namespace leakspy::analyze
