#pragma once
// The replay half of building a CaptureModel: events of the counted heaps,
// in capture order, through LiveSet into per-stack totals, with the peak
// attributed to stacks without snapshots. Owned by one thread at a time.
//
// Peak attribution: each time the total reaches a new peak, the peak "stamp"
// advances (O(1)). A stack saves its live bytes as "live at the peak" on its
// first change after the latest peak (its value had not changed since that
// peak, so it is its value at the peak). At the end, a stack whose saved
// stamp is the last peak's has its saved value; any other stack has not
// changed since that peak, so its current live bytes are right.

#include <cstdint>
#include <optional>
#include <vector>

#include "analyze/live_set.h"
#include "analyze/metric.h"
#include "analyze/read_budget.h"
#include "analyze/time_slices.h"

namespace leakspy::analyze {

// One event as the reading thread hands it to the replaying one, or a heap
// declaration (kind kDeclareHeap) that must take effect at its place in the
// stream.
struct QueuedEvent {
  static constexpr uint8_t kDeclareHeap = 0xFF;
  uint64_t address = 0;
  uint64_t size = 0;
  uint64_t time = 0;
  uint32_t stack = 0;
  uint8_t heap = 0;    // below capture::kMaxHeaps
  uint8_t kind = 0;    // capture::EventKind, or kDeclareHeap
  uint8_t ranges = 0;  // kDeclareHeap: whether the heap releases ranges
};

class EventReplay {
 public:
  // Also records time slices and snapshots (time_slices.h), before any event.
  void enable_slices(const SlicePlan& plan, uint64_t time_unit_ns) { slices_.emplace(plan, time_unit_ns); }
  // What the replay holds per stack id (its counters), for read budgets.
  static constexpr size_t kStackBytes = 5 * sizeof(uint64_t);
  // Reports what the replay holds to `budget` now and then (it throws past its limit).
  void set_budget(ReadBudget* budget) { budget_ = budget; }

  void apply(const QueuedEvent& queued) {
    if (queued.kind == QueuedEvent::kDeclareHeap) {
      live_.set_range_heap(HeapId(queued.heap), queued.ranges != 0);
      return;
    }
    if (queued.stack >= counters_.size()) counters_.resize(std::max<size_t>(queued.stack + 1, counters_.size() * 2));
    // A snapshot at T holds every event up to T: taken before the first later one.
    while (slices_ && queued.time > slices_->next_snapshot_time()) take_snapshot();
    time_ = queued.time;
    capture::EventRecord event{static_cast<capture::EventKind>(queued.kind), HeapId(queued.heap), StackId(queued.stack),
                               queued.size, queued.address};
    live_.apply(event, queued.time, *this);
    if (budget_ != nullptr && ++events_since_report_ == kEventsPerBudgetReport) report_to_budget();
  }

  // Per stack totals (indexed by stack id; at least `stacks` entries) and the
  // whole: live, peak and its time, allocated, allocations.
  void finish(size_t stacks, std::vector<StackTotals>* per_stack, StackTotals* totals, uint64_t* peak_time) const;
  // The slices, once every event is applied (enable_slices() must have been called).
  TimeSlices finish_slices(uint64_t end_time);
  uint64_t unknown_frees() const { return live_.unknown_releases(); }
  uint64_t implicit_frees() const { return live_.implicit_frees(); }

  // LiveSet observer.
  void on_allocated(HeapId heap, uint64_t, const LiveBlock& block) {
    StackCounters& counters = counters_[block.stack.value()];
    touch(counters);
    counters.live += block.size;
    counters.allocated += block.size;
    ++counters.allocations;
    live_total_ += block.size;
    if (live_total_ > peak_) {
      peak_ = live_total_;
      peak_time_ = time_;
      ++stamp_;
    }
    if (slices_) record_slices(heap, block.stack, counters.live);
  }
  void on_released(HeapId heap, uint64_t, const LiveBlock& block) { release(heap, block); }
  void on_implicit_free(HeapId heap, uint64_t, const LiveBlock& block) { release(heap, block); }
  void on_unknown_release(HeapId, uint64_t) {}

 private:
  struct StackCounters {
    uint64_t allocated = 0;
    uint64_t allocations = 0;
    uint64_t live = 0;
    uint64_t live_at_peak = 0;  // valid when stamp is the latest peak's
    uint64_t stamp = 0;
  };
  static_assert(sizeof(StackCounters) == kStackBytes);

  void touch(StackCounters& counters) {
    if (counters.stamp != stamp_) {
      counters.live_at_peak = counters.live;
      counters.stamp = stamp_;
    }
  }
  void release(HeapId heap, const LiveBlock& block) {
    StackCounters& counters = counters_[block.stack.value()];
    touch(counters);
    counters.live -= block.size;
    live_total_ -= block.size;
    if (slices_) record_slices(heap, block.stack, counters.live);
  }
  void record_slices(HeapId heap, StackId stack, uint64_t stack_live) {
    slices_->update(stack.value(), stack_live, heap.value(), live_.live_bytes(heap), live_total_, time_);
  }
  void report_to_budget() {
    events_since_report_ = 0;
    uint64_t bytes = live_.memory_bytes(kEventsPerBudgetReport) + counters_.capacity() * kStackBytes;
    if (slices_) bytes += slices_->memory_bytes();
    budget_->set_live(bytes);
  }
  void take_snapshot() {
    slices_->take_snapshot(counters_.size(), [this](size_t stack) { return counters_[stack].live; });
  }

  LiveSet live_;
  std::vector<StackCounters> counters_ = std::vector<StackCounters>(1024);
  uint64_t time_ = 0;
  uint64_t live_total_ = 0;
  uint64_t peak_ = 0;
  uint64_t peak_time_ = 0;
  uint64_t stamp_ = 0;
  std::optional<SliceRecorder> slices_;
  // Often enough that the live set cannot outgrow the budget by much between
  // reports, rarely enough to cost nothing per event.
  static constexpr uint32_t kEventsPerBudgetReport = 4096;
  ReadBudget* budget_ = nullptr;
  uint32_t events_since_report_ = 0;
};

}  // namespace leakspy::analyze
