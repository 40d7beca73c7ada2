#pragma once
// Turns per-thread event batches into one stream in a valid order.
//
// Between epochs the order is the epoch order (capture/wire.h, "Ordering").
// Within one epoch, events of different threads have no known order, and it
// only matters where two threads touch the same address: a block freed on one
// thread and handed out again on another. For those contested addresses the
// merger interleaves the threads' runs so that no live address is allocated
// again and no address is freed before another thread allocates it; other
// events keep their thread's order and are emitted run by run.
// Not thread-safe. Allocates (per-epoch buffers).

#include <cstdint>
#include <map>
#include <vector>

#include "analyze/address_map.h"
#include "capture/wire.h"

namespace leakspy::recorder {

class MergedEventSink {
 public:
  virtual ~MergedEventSink() = default;
  // One event, in merged order, with the start time of its epoch.
  virtual void on_merged_event(uint32_t thread, const wire::RawEvent& event, uint64_t monotonic_ns) = 0;
  // Whether the address is allocated, given every event emitted so far.
  virtual bool is_live(uint8_t heap, uint64_t address) const = 0;
  // Whether the heap releases ranges (those events are never reordered).
  virtual bool is_range_heap(uint8_t heap) const = 0;
};

class EpochMerger {
 public:
  explicit EpochMerger(MergedEventSink& sink) : sink_(sink) {}

  // A batch from one thread's ring, epoch marks included, in ring order.
  void add(uint32_t thread, const wire::RawEvent* events, size_t count);
  // The time at which an epoch began.
  void set_epoch_time(uint64_t epoch, uint64_t monotonic_ns);
  // Emits every event of every epoch up to and including `epoch`.
  void seal(uint64_t epoch);

  bool has_pending(uint32_t thread) const;
  // Events that arrived for an epoch already sealed (their thread was
  // preempted for a whole drain cycle); emitted with the next epoch.
  uint64_t late_events() const { return late_events_; }
  // Contested interleavings with no consistent order (a dropped event, most
  // likely); emitted in thread order.
  uint64_t forced_orders() const { return forced_orders_; }

 private:
  // A thread's pending events: one buffer used as a FIFO (its memory is kept
  // from epoch to epoch, so steady recording allocates nothing), cut into
  // segments of one epoch each.
  struct Segment {
    uint64_t epoch;
    size_t begin;  // indices into ThreadQueue::events
    size_t end;
  };
  struct ThreadQueue {
    uint64_t epoch = 0;  // of the last mark seen
    std::vector<wire::RawEvent> events;
    size_t used = 0;     // events[0, used) hold pending events
    std::vector<Segment> segments;
    size_t head = 0;     // first segment not yet emitted

    void append(uint64_t epoch, const wire::RawEvent* first, size_t count);
    void pop_segment();
  };
  struct Run {
    uint32_t thread;
    const wire::RawEvent* position;
    const wire::RawEvent* end;
    size_t index;  // of `position` in the numbering of all the epoch's events
  };
  struct Pending {
    uint32_t allocations = 0;
    uint32_t releases = 0;
  };

  void emit_epoch(uint64_t epoch, std::vector<Run>& runs);
  void emit_interleaved(std::vector<Run>& runs, uint64_t time);
  bool blocked(const wire::RawEvent& event) const;
  uint64_t time_of(uint64_t epoch) const;

  MergedEventSink& sink_;
  std::map<uint32_t, ThreadQueue> threads_;
  std::map<uint64_t, uint64_t> epoch_times_;
  uint64_t last_time_ = 0;
  uint64_t sealed_ = 0;
  uint64_t late_events_ = 0;
  uint64_t forced_orders_ = 0;
  analyze::AddressMap<uint32_t> owners_;     // address -> run + 1, or kContested
  analyze::AddressMap<Pending> pending_;     // contested address -> not yet emitted
  std::vector<uint8_t> contested_;           // per event of the epoch being emitted
};

}  // namespace leakspy::recorder
