#include "analyze/event_replay.h"

namespace leakspy::analyze {

void EventReplay::finish(size_t stacks, std::vector<StackTotals>* per_stack, StackTotals* totals,
                         uint64_t* peak_time) const {
  per_stack->assign(std::max(stacks, counters_.size()), StackTotals{});
  *totals = StackTotals{};
  for (size_t i = 0; i < counters_.size(); ++i) {
    const StackCounters& counters = counters_[i];
    StackTotals& stack = (*per_stack)[i];
    stack.allocated_bytes = counters.allocated;
    stack.allocations = counters.allocations;
    stack.live_bytes = counters.live;
    stack.peak_bytes = counters.stamp == stamp_ ? counters.live_at_peak : counters.live;
    totals->allocated_bytes += stack.allocated_bytes;
    totals->allocations += stack.allocations;
  }
  totals->live_bytes = live_total_;
  totals->peak_bytes = peak_;
  *peak_time = peak_time_;
}

TimeSlices EventReplay::finish_slices(uint64_t end_time) {
  // Snapshots asked for beyond the last event see the end.
  while (slices_->snapshots_left()) take_snapshot();
  return slices_->finish(end_time);
}

}  // namespace leakspy::analyze
